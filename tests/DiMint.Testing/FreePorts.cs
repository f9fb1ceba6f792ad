using System.Net;
using System.Net.Sockets;

namespace DiMint.Testing;

/// <summary>Finds free loopback ports for test clusters, so tests never collide with a user's cluster or each other.</summary>
public static class FreePorts
{
    private static int _next = 20_000 + (Environment.ProcessId % 200 * 100);

    /// <summary>The first of <paramref name="count"/> consecutive free ports.</summary>
    public static int Block(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var start = Interlocked.Add(ref _next, count + 10) - count - 10;
            if (start + count >= 60_000)
            {
                Interlocked.Exchange(ref _next, 20_000);
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
