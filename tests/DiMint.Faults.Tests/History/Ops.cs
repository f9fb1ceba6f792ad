using DiMint.Faults.History;

namespace DiMint.Faults.Tests.History;

/// <summary>Short constructors for hand-written histories.</summary>
internal static class Ops
{
    public static Operation Write(int process, string key, string value, long invoked, long completed) =>
        new(process, key, OperationKind.Write, value, invoked, completed, OperationOutcome.Ok);

    public static Operation Read(int process, string key, string? value, long invoked, long completed) =>
        new(process, key, OperationKind.Read, value, invoked, completed, OperationOutcome.Ok);

    /// <summary>A write that timed out at <paramref name="gaveUpAt"/>: it may take effect at any time after <paramref name="invoked"/>, or never.</summary>
    public static Operation UnknownWrite(int process, string key, string value, long invoked, long gaveUpAt) =>
        new(process, key, OperationKind.Write, value, invoked, gaveUpAt, OperationOutcome.Unknown);

    public static Operation FailedWrite(int process, string key, string value, long invoked, long completed) =>
        new(process, key, OperationKind.Write, value, invoked, completed, OperationOutcome.Failed);
}
