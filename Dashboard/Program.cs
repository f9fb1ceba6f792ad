using DiMint;
using DiMint.Client;
using DiMint.Dashboard.Api;
using DiMint.Dashboard.Hosting;
using DiMint.Dashboard.Monitoring;
using DiMint.Hosting;
using Microsoft.AspNetCore.Http.Json;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orleans.Dashboard;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(DashboardCommandLine.Usage);
    return 0;
}

var (options, error) = DashboardCommandLine.Parse(args, Environment.GetEnvironmentVariable("DIMINT_DASHBOARD_ADMIN_TOKEN"));
if (options is null)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(DashboardCommandLine.Usage);
    return 2;
}

var clientOptions = new DimintClientOptions
{
    ClusterId = options.ClusterId,
    ServiceId = options.ServiceId,
    ClusterSecretFile = options.ClusterSecretFile,
    TlsAuthorityFile = options.TlsAuthorityFile,
};
ClusterSecret? secret;
string? zooKeeperDigest;
try
{
    secret = ClusterSecret.From(null, options.ClusterSecretFile);
    zooKeeperDigest = options.ZooKeeperAuthFile is { } authFile ? DiMint.ZooKeeper.ZooKeeperDigest.FromFile(authFile) : null;
}
catch (FormatException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Gateways.Count > 0)
{
    clientOptions.Gateways = options.Gateways;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    ContentRootPath = AppContext.BaseDirectory,
    Args = [],
});
builder.WebHost.UseUrls(options.ListenUrls);
// A value may be up to 16 MiB encoded; its JSON notation can be a few times larger (base64, digits).
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = (4L * clientOptions.MaxValueBytes) + (1 << 20));
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(clientOptions);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);
builder.UseOrleansClient(client =>
{
    if (options.ZooKeeper is { } zooKeeper)
    {
        client.UseDiMintZooKeeperClustering(o =>
        {
            o.ConnectionString = zooKeeper;
            o.Digest = zooKeeperDigest;
        });
        client.Configure<Orleans.Configuration.ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        if (options.TlsAuthorityFile is { } authority)
        {
            ClusterTls.UseOn(client, ClusterTls.Load(authority));
        }

        if (secret is not null)
        {
            client.UseDiMintClusterSecret(secret);
        }
        else
        {
            client.DetectClusterSecretRequired();
        }
    }
    else
    {
        DimintClient.ConfigureOrleansClient(client, clientOptions);
    }

    client.AddDashboard();
});
builder.Services.AddSingleton(sp => new DimintClient(sp.GetRequiredService<IClusterClient>(), clientOptions));
builder.Services.AddSingleton<ClusterMonitor>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterMonitor>());
builder.Services.AddSingleton<DashboardMetrics>();
builder.Services.AddHostedService<ListeningAnnouncer>();
builder.Services.AddSingleton(new ParentProcess(options.ParentProcessId, "dashboard"));
builder.Services.AddHostedService<ParentProcessWatcher>();
builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService("dimint-dashboard"))
    .WithMetrics(metrics => metrics
    .AddMeter(DashboardMetrics.MeterName)
    .AddPrometheusExporter());

var app = builder.Build();
app.UseTokenGate(options);
app.Services.GetRequiredService<DashboardMetrics>();
app.MapPage();
app.MapDimintApi();
app.MapOrleansDashboard(routePrefix: "/orleans");
app.MapPrometheusScrapingEndpoint("/metrics");

try
{
    await app.RunAsync();
    return 0;
}
catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"Cannot listen on {options.ListenUrls}: {ex.Message}");
    return 3;
}
