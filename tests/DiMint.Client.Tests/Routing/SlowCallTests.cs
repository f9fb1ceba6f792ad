using System.Collections.Immutable;
using System.Net;
using System.Reflection;

namespace DiMint.Client.Tests.Routing;

/// <summary>
/// A call that turns slow (it may have gone to a silo that just died) is given up the moment the client knows the key's
/// range has a new master, also when it learned that before the call turned slow (another request brought the ring):
/// then no newer ring may ever come, and the overlord holding the watch may be the one that died.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SlowCallTests
{
    private static readonly SiloAddress Dead = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
    private static readonly SiloAddress Promoted = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1);

    [Fact]
    public async Task SlowCall_WhoseRangeTheKnownRingGivesANewMaster_IsGivenUp_WithoutWaitingForANewerRing()
    {
        // The overlord answers the ring that names the promoted master, and never answers a watch (its silo was killed).
        var client = new DimintClient(Factory.For(RingAt(2, Promoted)), new DimintClientOptions { AttemptTimeout = TimeSpan.FromSeconds(3) });
        Assert.Equal(2, (await client.GetRingAsync(refresh: true)).Version);

        // The call went with ring 1 to the master that died: nobody will ever answer it.
        var sent = RingAt(1, Dead).Ranges[0];
        var hung = new TaskCompletionSource<int>().Task;
        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.AwaitAttemptAsync(
            hung,
            sent,
            static (ring, range) => ring.FindById(range.Id)!.Master.Equals(range.Master),
            onSlow: null,
            CancellationToken.None));

        // Given up because of the new master, not after the whole attempt timed out.
        Assert.Contains("new master", error.Message, StringComparison.Ordinal);
    }

    private static Ring RingAt(long version, SiloAddress master) => new()
    {
        Version = version,
        Ranges = [new RangeInfo { Id = 1, Start = 0, End = 0, Master = master, Epoch = version, Replicas = ImmutableArray<SiloAddress>.Empty }],
        NextRangeId = 2,
    };

    /// <summary>A grain factory whose only grain is an overlord that answers <see cref="IOverlordGrain.GetRingAsync"/> and never a watch.</summary>
    public class Factory : DispatchProxy
    {
        private IOverlordGrain? _overlord;

        internal static IGrainFactory For(Ring ring)
        {
            var factory = Create<IGrainFactory, Factory>();
            ((Factory)(object)factory)._overlord = Overlord.For(ring);
            return factory;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && targetMethod.GetGenericArguments()[0] == typeof(IOverlordGrain)
                ? _overlord
                : throw new NotSupportedException(targetMethod?.Name);
    }

    /// <summary>The overlord grain reference.</summary>
    public class Overlord : DispatchProxy
    {
        private Ring? _ring;

        internal static IOverlordGrain For(Ring ring)
        {
            var proxy = Create<IOverlordGrain, Overlord>();
            ((Overlord)(object)proxy)._ring = ring;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            nameof(IOverlordGrain.GetRingAsync) => Task.FromResult(_ring!),
            nameof(IOverlordGrain.GetRingSinceAsync) => Task.FromResult(RingUpdate.Of(_ring!)),
            nameof(IOverlordGrain.WatchRingAsync) => new TaskCompletionSource<RingUpdate>().Task,
            _ => throw new NotSupportedException(targetMethod?.Name),
        };
    }
}
