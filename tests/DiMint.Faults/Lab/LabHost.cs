using System.Net;

namespace DiMint.Faults.Lab;

/// <summary>One host of a <see cref="NetworkLab"/>: a network namespace with its own address.</summary>
public sealed class LabHost(string name, string @namespace, IPAddress address, int index)
{
    /// <summary>The host's name in the lab (<c>silo1</c>, <c>zk2</c>, <c>client1</c>).</summary>
    public string Name { get; } = name;

    /// <summary>The network namespace (<c>ip netns</c>) its processes run in.</summary>
    public string Namespace { get; } = @namespace;

    /// <summary>Its address on the lab's network.</summary>
    public IPAddress Address { get; } = address;

    /// <summary>Its number in the lab (the last octet of its address).</summary>
    public int Index { get; } = index;

    /// <summary>The command prefix that runs a program on this host.</summary>
    public IReadOnlyList<string> Launcher => ["ip", "netns", "exec", Namespace];

    public override string ToString() => $"{Name} ({Address})";
}
