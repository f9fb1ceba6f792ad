using System.Net;
using System.Net.Sockets;

namespace DiMint.Testing.ZooKeeper;

/// <summary>Picks TCP ports that are free on 127.0.0.1 at the time of the call.</summary>
public static class FreePorts
{
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
}
