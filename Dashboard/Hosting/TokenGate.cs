using System.Net;
using System.Security.Cryptography;
using System.Text;
using DiMint.Dashboard.Api;

namespace DiMint.Dashboard.Hosting;

/// <summary>
/// A dashboard that listens beyond this machine answers only those who hold its admin token: in the
/// <c>X-DiMint-Admin-Token</c> header (API clients, Prometheus), or in a cookie a browser gets by opening
/// <c>/?token=TOKEN</c> once (HttpOnly, SameSite=Strict: another site cannot ride on it). On loopback the pages and
/// reads are open, and only writes need the token (<see cref="ApiEndpoints"/>).
/// </summary>
public static class TokenGate
{
    /// <summary>The cookie that carries the token for a browser.</summary>
    public const string Cookie = "dimint-admin-token";

    /// <summary>Whether <paramref name="options"/> listen on anything but loopback.</summary>
    public static bool ExposedBeyondLoopback(DashboardHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var hosts = options.Urls is { } urls
            ? urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(HostOf)
            : [options.Host];
        return hosts.Any(h => !IsLoopback(h));
    }

    /// <summary>Whether <paramref name="given"/> is <paramref name="expected"/>, in constant time.</summary>
    public static bool Matches(string? given, string expected) =>
        !string.IsNullOrEmpty(given) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    /// <summary>The token a request carries: its header, else its cookie.</summary>
    public static string? Carried(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers[ApiEndpoints.AdminTokenHeader].ToString();
        return header.Length > 0 ? header : request.Cookies[Cookie];
    }

    /// <summary>Requires the token on every request when the dashboard listens beyond loopback.</summary>
    public static IApplicationBuilder UseTokenGate(this IApplicationBuilder app, DashboardHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!ExposedBeyondLoopback(options) || options.AdminToken is not { } token)
        {
            return app;
        }

        return app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (Matches(Carried(request), token))
            {
                await next(context);
                return;
            }

            if (request.Query.TryGetValue("token", out var given) && Matches(given.ToString(), token))
            {
                // Trade the token in the URL for a cookie, and drop it from the address bar.
                context.Response.Cookies.Append(Cookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
                context.Response.Redirect(request.PathBase + request.Path);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsJsonAsync(new ApiError(
                $"This dashboard listens beyond this machine: open it as {request.Scheme}://{request.Host}/?token=TOKEN, or send the token in the {ApiEndpoints.AdminTokenHeader} header.",
                "AdminTokenInvalid"));
        });
    }

    private static string HostOf(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var end = rest.StartsWith('[') ? rest.IndexOf(']', StringComparison.Ordinal) + 1 : rest.IndexOfAny([':', '/']);
        return end > 0 ? rest[..end].Trim('[', ']') : rest.Trim('[', ']');
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
