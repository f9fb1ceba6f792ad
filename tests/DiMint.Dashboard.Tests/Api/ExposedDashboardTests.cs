using System.Net;
using System.Text;
using System.Text.Json;
using DiMint.Dashboard.Tests.Browser;
using DiMint.Testing;
using DiMint.Testing.Processes;

namespace DiMint.Dashboard.Tests.Api;

/// <summary>A dashboard listening on every address, against a real one-silo cluster: nothing answers without the token.</summary>
[Trait("Category", "Process")]
public sealed class ExposedDashboardTests
{
    private const string Token = "exposed-dashboard-token";

    [Fact]
    public async Task BeyondLoopback_EveryPageAndCallNeedsTheToken_InAHeaderOrTheCookieABrowserGetsOnce()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(1);
        await using var dashboard = await DashboardProcess.StartAsync(
            [.. cluster.Gateways.SelectMany(g => new[] { "--gateway", g }), "--secret-file", cluster.SecretFile!, "--host", "0.0.0.0", "--admin-token", Token]);
        Assert.Equal("0.0.0.0", dashboard.Url.Host);
        var root = new UriBuilder(dashboard.Url) { Host = "127.0.0.1" }.Uri;
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var http = new HttpClient(handler) { BaseAddress = root };

        // Without it: the page, the API, the metrics, and a wrong token all get 401, and a write stores nothing.
        foreach (var path in new[] { "", "app.js", "api/cluster", "metrics", "orleans/", "?token=wrong" })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"GET /{path}: {response.StatusCode}");
        }

        using (var put = await http.PutAsync("api/kv?key=exposed", new StringContent("1", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
            Assert.Equal("AdminTokenInvalid", JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }

        // An API client sends the header.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "api/kv?key=exposed") { Headers = { { "X-DiMint-Admin-Token", Token } } })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(request)).StatusCode);
        }

        // A browser opens /?token=... once: it gets an HttpOnly, SameSite=Strict cookie and is sent to the page without it.
        using var login = await http.GetAsync("?token=" + Token);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var pair = cookie.Split(';')[0];

        using (var page = new HttpRequestMessage(HttpMethod.Get, "") { Headers = { { "Cookie", pair } } })
        {
            using var response = await http.SendAsync(page);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        // With the cookie, the page's test client writes.
        using (var put = new HttpRequestMessage(HttpMethod.Put, "api/kv?key=exposed") { Content = new StringContent("7", Encoding.UTF8, "application/json"), Headers = { { "Cookie", pair } } })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(put)).StatusCode);
        }

        var cli = await cluster.Cli.RunAsync("get", "exposed");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Equal("7", cli.Output.Trim());
    }
}
