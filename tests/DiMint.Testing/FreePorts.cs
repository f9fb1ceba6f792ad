using System.Net;
using System.Net.Sockets;

namespace DiMint.Testing;

/// <summary>Finds free loopback ports for test clusters, so tests never collide with a user's cluster or each other.</summary>
public static class FreePorts
{
    private const int Floor = 20_000;

    /// <summary>
    /// Blocks stay below the kernel's ephemeral range (the ports it hands out for outgoing connections and for listeners
    /// asking for port 0: data ports, clients): there a block is often half taken after a few hundred connections.
    /// </summary>
    private static readonly int Ceiling = EphemeralLow();

    private static int _next = Floor + (Environment.ProcessId % 100 * 100);

    /// <summary>The first of <paramref name="count"/> consecutive free ports.</summary>
    public static int Block(int count)
    {
        // Every block below the ceiling, twice over, before giving up.
        var attempts = 2 * (Ceiling - Floor) / (count + 10);
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var start = Interlocked.Add(ref _next, count + 10) - count - 10;
            if (start + count >= Ceiling)
            {
                Interlocked.Exchange(ref _next, Floor);
                continue;
            }

            if (Enumerable.Range(start, count).All(IsFree))
            {
                return start;
            }
        }

        throw new InvalidOperationException($"No block of {count} free ports found.");
    }

    /// <summary>Returns <paramref name="count"/> distinct free ports.</summary>
    public static int[] Pick(int count)
    {
        // Hold every listener until all are picked so the same port is not handed out twice.
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux's default 32768 when it cannot be read).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], out var low) && low > Floor + 2_000 ? low : 32_768;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
