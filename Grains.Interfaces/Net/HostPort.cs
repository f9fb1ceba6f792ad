using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DiMint;

/// <summary>Parses endpoints written as <c>host:port</c> (gateways, the primary silo).</summary>
public static class HostPort
{
    /// <summary>Parses one <c>host:port</c>; a host name is resolved to its first IPv4 address (or any address).</summary>
    /// <exception cref="FormatException">The text is not <c>host:port</c> with a port in 1..65535, or the host does not resolve.</exception>
    public static IPEndPoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new FormatException($"'{text}' is not host:port (for example 127.0.0.1:30000).");
        }

        var host = text[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new FormatException($"Host '{host}' has no address.");
            return new IPEndPoint(chosen, port);
        }
        catch (SocketException ex)
        {
            throw new FormatException($"Host '{host}' does not resolve: {ex.Message}", ex);
        }
    }
}
