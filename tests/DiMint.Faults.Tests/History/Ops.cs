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

    public static Operation Increment(int process, string key, long result, long invoked, long completed) =>
        new(process, key, OperationKind.Increment, result.ToString(System.Globalization.CultureInfo.InvariantCulture), invoked, completed, OperationOutcome.Ok);

    /// <summary>An increment that timed out: it may have added one at any time after <paramref name="invoked"/>, or not.</summary>
    public static Operation UnknownIncrement(int process, string key, long invoked, long gaveUpAt) =>
        new(process, key, OperationKind.Increment, null, invoked, gaveUpAt, OperationOutcome.Unknown);

    public static Operation FailedWrite(int process, string key, string value, long invoked, long completed) =>
        new(process, key, OperationKind.Write, value, invoked, completed, OperationOutcome.Failed);
}
