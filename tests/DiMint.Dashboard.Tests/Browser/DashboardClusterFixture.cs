using DiMint.Testing.Processes;
using Microsoft.Playwright;

namespace DiMint.Dashboard.Tests.Browser;

/// <summary>
/// One real 3-silo cluster (<c>dimint up</c>), the dashboard process connected to its gateways (with an admin token) and one
/// headless Chromium, shared by a test class.
/// </summary>
public sealed class DashboardClusterFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token";
    public const int Silos = 3;

    private IPlaywright? _playwright;
    private DashboardProcess? _dashboard;

    public LocalClusterProcess Cluster { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public Uri Url => _dashboard!.Url;

    public string DashboardOutput => _dashboard?.Output ?? "";

    public async Task InitializeAsync()
    {
        Cluster = await LocalClusterProcess.StartAsync(Silos);
        string[] gateways = [.. Cluster.Gateways.SelectMany(g => new[] { "--gateway", g }), "--secret-file", Cluster.SecretFile!];
        _dashboard = await DashboardProcess.StartAsync([.. gateways, "--admin-token", AdminToken, "--refresh-ms", "500"]);
        _playwright = await Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(_playwright);
    }

    /// <summary>Opens the page, with the admin token in its URL's fragment (as <c>dimint up</c> prints it) unless told not to.</summary>
    public async Task<IPage> OpenAsync(bool withAdminToken = true)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 1100 } });
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync(withAdminToken ? $"{Url}#token={AdminToken}" : Url.ToString());
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_dashboard is not null)
        {
            await _dashboard.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
