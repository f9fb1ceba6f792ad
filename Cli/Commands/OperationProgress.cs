using DiMint.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DiMint.Cli.Commands;

/// <summary>
/// Follows ring operations to their end: a live Spectre.Console progress bar per operation on a terminal (percent,
/// bytes moved, rate), plain progress lines when stdout is redirected (pipes, logs, tests).
/// </summary>
internal static class OperationProgress
{
    private static readonly TimeSpan PlainLineInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Waits until every operation is done or rolled back and returns them as they ended. With <paramref name="json"/>
    /// the progress goes to stderr as plain lines, so stdout carries only the JSON.
    /// </summary>
    /// <exception cref="OperationLostException">The overlord no longer knows an operation (it restarted).</exception>
    public static async Task<RingOperationInfo[]> FollowAsync(DimintClient client, IReadOnlyList<RingOperationInfo> operations, bool json, CancellationToken cancellationToken)
    {
        if (ConsoleText.IsInteractive && !json)
        {
            return await FollowLiveAsync(client, operations, cancellationToken);
        }

        var output = json ? Console.Error : Console.Out;
        return await Task.WhenAll(operations.Select(op =>
        {
            var lastState = (RingOperationState)0;
            var lastLine = DateTimeOffset.MinValue;
            return FollowOneAsync(client, op, info =>
            {
                var now = DateTimeOffset.UtcNow;
                if (info.State != lastState || now - lastLine >= PlainLineInterval)
                {
                    output.WriteLine($"[{OperationText.Title(info)}] {OperationText.Figures(info, now)}");
                    lastState = info.State;
                    lastLine = now;
                }
            }, cancellationToken);
        }));
    }

    private static async Task<RingOperationInfo[]> FollowLiveAsync(DimintClient client, IReadOnlyList<RingOperationInfo> operations, CancellationToken cancellationToken)
    {
        var console = ConsoleText.Create();
        console.MarkupLine("[grey]Ctrl+C stops following; the operation goes on ('dimint ops' shows it).[/]");
        return await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn { Width = 24 },
                new PercentageColumn(),
                new FiguresColumn(),
                new DurationColumn(),
                new SpinnerColumn())
            .StartAsync(async context => await Task.WhenAll(operations.Select(op =>
            {
                var task = context.AddTask(Markup.Escape(OperationText.ShortTitle(op)), autoStart: true, maxValue: 100);
                Show(task, op);
                return FollowOneAsync(client, op, info => Show(task, info), cancellationToken);
            })));
    }

    private static void Show(ProgressTask task, RingOperationInfo op)
    {
        task.Tag = op;
        if (OperationText.Percent(op) is { } percent)
        {
            task.IsIndeterminate = false;
            task.Value = percent;
        }
        else
        {
            task.IsIndeterminate = !op.IsFinished;
        }

        if (op.IsFinished)
        {
            task.StopTask();
        }
    }

    private static async Task<RingOperationInfo> FollowOneAsync(DimintClient client, RingOperationInfo op, Action<RingOperationInfo> update, CancellationToken cancellationToken)
    {
        var reporter = new Reporter(update);
        try
        {
            return await client.WaitForOperationAsync(op.Id, reporter, cancellationToken);
        }
        catch (RingOperationException ex) when (ex.Code == DiMintErrorCode.OperationRolledBack && reporter.Last is { State: RingOperationState.RolledBack } last)
        {
            // The client reports a rollback as an exception; here it is an outcome, printed with its reason.
            return last;
        }
        catch (RingOperationException ex) when (ex.Code == DiMintErrorCode.UnknownOperation)
        {
            throw new OperationLostException($"{ex.Message} See 'dimint ops' and 'dimint ring' for where things stand.");
        }
    }

    /// <summary>Reports synchronously, in the polling loop (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class Reporter(Action<RingOperationInfo> update) : IProgress<RingOperationInfo>
    {
        public RingOperationInfo? Last { get; private set; }

        public void Report(RingOperationInfo value)
        {
            Last = value;
            update(value);
        }
    }

    /// <summary>How long the operation in the task's tag has run, by the overlord's clock (as the summary says it).</summary>
    private sealed class DurationColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.Tag is RingOperationInfo op
                ? new Text(ConsoleText.Duration(OperationText.Duration(op, DateTimeOffset.UtcNow)), new Style(Color.Blue))
                : Text.Empty;
    }

    /// <summary>State, bytes moved of all, rate, keys and fence of the operation in the task's tag.</summary>
    private sealed class FiguresColumn : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.Tag is RingOperationInfo op
                ? new Text(OperationText.Figures(op, DateTimeOffset.UtcNow, withPercent: false), new Style(Color.Grey)) { Overflow = Overflow.Ellipsis }
                : Text.Empty;
    }
}
