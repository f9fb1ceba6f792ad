namespace DiMint.Faults.Workload;

/// <summary>How hard a workload client drives the cluster.</summary>
public sealed class WorkloadSettings
{
    /// <summary>Workers per range, each with one operation in flight. Default 1.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Registers per range (keys read and written by every client), for the linearizability check. Default 2.</summary>
    public int Registers { get; init; } = 2;
}
