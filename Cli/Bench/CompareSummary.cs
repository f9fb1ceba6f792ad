namespace DiMint.Cli.Bench;

/// <summary>A comparison of stores on the same machine, as <c>dimint bench report</c> writes it (JSON) and charts it.</summary>
internal sealed record CompareSummary
{
    public required DateTimeOffset Timestamp { get; init; }

    public string? Title { get; init; }

    public required MachineInfo Machine { get; init; }

    public required IReadOnlyList<CompareSystem> Systems { get; init; }

    public required IReadOnlyList<CompareWorkload> Workloads { get; init; }

    public required IReadOnlyList<CompareMemory> Memory { get; init; }
}
