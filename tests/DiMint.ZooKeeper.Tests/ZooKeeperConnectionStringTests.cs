namespace DiMint.ZooKeeper.Tests;

[Trait("Category", "Unit")]
public sealed class ZooKeeperConnectionStringTests
{
    [Fact]
    public void Parse_ServersWithPortsAndChroot()
    {
        var parsed = ZooKeeperConnectionString.Parse("zk1:2181, zk2:2182,[::1]:2183/dimint/prod");

        Assert.Equal([("zk1", 2181), ("zk2", 2182), ("::1", 2183)], parsed.Servers);
        Assert.Equal("/dimint/prod", parsed.Chroot);
        Assert.Equal("zk1:2181,zk2:2182,[::1]:2183/dimint/prod", parsed.ToString());
    }

    [Fact]
    public void Parse_DefaultsThePort_AndTreatsSlashAsNoChroot()
    {
        var parsed = ZooKeeperConnectionString.Parse("localhost/");

        Assert.Equal([("localhost", ZooKeeperConnectionString.DefaultPort)], parsed.Servers);
        Assert.Null(parsed.Chroot);
    }

    [Theory]
    [InlineData("host:notaport")]
    [InlineData("host:70000")]
    [InlineData(",/chroot")]
    [InlineData("host:2181/bad//chroot")]
    [InlineData("host:2181/trailing/")]
    public void Parse_Malformed_ThrowsFormatException(string connectionString)
    {
        Assert.Throws<FormatException>(() => ZooKeeperConnectionString.Parse(connectionString));
    }
}
