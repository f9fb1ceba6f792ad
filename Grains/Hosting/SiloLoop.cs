namespace DiMint.Grains.Hosting;

/// <summary>
/// A loop a silo runs on the thread pool while it is active: started at <see cref="ServiceLifecycleStage.Active"/>,
/// cancelled and awaited when the silo stops. <see cref="RunAsync"/> is the loop; it ends when its token is cancelled.
/// </summary>
internal abstract class SiloLoop : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(GetType().Name, ServiceLifecycleStage.Active, Start, Stop);

    /// <summary>The loop, until <paramref name="stop"/> is cancelled.</summary>
    protected abstract Task RunAsync(CancellationToken stop);

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
