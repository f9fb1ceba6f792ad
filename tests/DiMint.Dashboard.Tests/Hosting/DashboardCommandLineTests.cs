using DiMint.Dashboard.Hosting;

namespace DiMint.Dashboard.Tests.Hosting;

[Trait("Category", "Unit")]
public sealed class DashboardCommandLineTests
{
    [Fact]
    public void Parse_RepeatedGateways_KeepsEveryOne_AndBindsLoopbackByDefault()
    {
        var (options, error) = DashboardCommandLine.Parse(["--gateway", "127.0.0.1:30000", "--gateway=127.0.0.1:30001"]);
        Assert.Null(error);
        Assert.Equal(["127.0.0.1:30000", "127.0.0.1:30001"], options!.Gateways);
        Assert.Equal("http://127.0.0.1:8080", options.ListenUrls);
        Assert.Null(options.AdminToken);
    }

    [Fact]
    public void Parse_NoClusterGiven_UsesTheDefaultGateway()
    {
        var (options, _) = DashboardCommandLine.Parse([]);
        Assert.Equal(["127.0.0.1:30000"], options!.Gateways);
    }

    [Fact]
    public void Parse_ZooKeeperHostPortAndToken_AreTaken()
    {
        var (options, error) = DashboardCommandLine.Parse(["--zookeeper", "127.0.0.1:2181,127.0.0.1:2182", "--host", "0.0.0.0", "--port", "0", "--admin-token", "t"], "env");
        Assert.Null(error);
        Assert.Empty(options!.Gateways);
        Assert.Equal("127.0.0.1:2181,127.0.0.1:2182", options.ZooKeeper);
        Assert.Equal("http://0.0.0.0:0", options.ListenUrls);
        Assert.Equal("t", options.AdminToken);
    }

    [Theory]
    [InlineData("--host", "0.0.0.0")]
    [InlineData("--host", "10.1.2.3")]
    [InlineData("--urls", "http://127.0.0.1:1;http://[::]:2")]
    public void Parse_ListeningBeyondLoopback_WithoutAToken_IsRefused(string option, string value)
    {
        var (options, error) = DashboardCommandLine.Parse([option, value]);
        Assert.Null(options);
        Assert.Contains("--admin-token", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--host", "localhost")]
    [InlineData("--host", "::1")]
    [InlineData("--urls", "http://127.0.0.1:1;http://[::1]:2")]
    public void Parse_Loopback_NeedsNoToken(string option, string value) =>
        Assert.Null(DashboardCommandLine.Parse([option, value]).Error);

    [Fact]
    public void Parse_ClusterCredentials_AreTaken()
    {
        var (options, error) = DashboardCommandLine.Parse(["--secret-file", "/s", "--tls-authority", "/ca.pem", "--zookeeper", "h:1", "--zookeeper-auth-file", "/zk"]);
        Assert.Null(error);
        Assert.Equal(("/s", "/ca.pem", "/zk"), (options!.ClusterSecretFile, options.TlsAuthorityFile, options.ZooKeeperAuthFile));
        Assert.Contains("needs a value", DashboardCommandLine.Parse(["--tls-authority"]).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AdminTokenFromTheEnvironment_EnablesAdminActions()
    {
        Assert.Equal("env", DashboardCommandLine.Parse([], "env").Options!.AdminToken);
    }

    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--gateway", "nohostport")]
    [InlineData("--bogus", "1")]
    [InlineData("--refresh-ms", "x")]
    public void Parse_BadArguments_SayWhatIsWrong(string option, string value)
    {
        var (options, error) = DashboardCommandLine.Parse([option, value]);
        Assert.Null(options);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Parse_GatewayAndZooKeeperTogether_IsRefused()
    {
        Assert.NotNull(DashboardCommandLine.Parse(["--gateway", "127.0.0.1:1", "--zookeeper", "127.0.0.1:2181"]).Error);
    }
}
