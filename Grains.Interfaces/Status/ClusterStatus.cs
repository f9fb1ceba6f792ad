using System.Collections.Immutable;

namespace DiMint;

/// <summary>The cluster at one moment: its silos, and its ring with what each range holds.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ClusterStatus")]
public sealed record ClusterStatus
{
    /// <summary>The ring version the ranges belong to.</summary>
    [Id(0)]
    public required long RingVersion { get; init; }

    /// <summary>Every silo membership knows of, up or down.</summary>
    [Id(1)]
    public required ImmutableArray<NodeStatus> Silos { get; init; }

    /// <summary>The ranges, in ring order.</summary>
    [Id(2)]
    public required ImmutableArray<RangeStatusInfo> Ranges { get; init; }

    /// <summary>The silo the overlord that answered runs on: the one that holds the overlord's lease.</summary>
    [Id(3)]
    public SiloAddress? Overlord { get; init; }

    /// <summary>The overlord lease's term: how many times the overlord was taken over since the cluster began, plus one.</summary>
    [Id(4)]
    public long OverlordTerm { get; init; }

    /// <summary>The active silos that would take the overlord over if its silo failed (every other silo).</summary>
    [Id(5)]
    public ImmutableArray<SiloAddress> OverlordStandbys { get; init; } = [];
}
