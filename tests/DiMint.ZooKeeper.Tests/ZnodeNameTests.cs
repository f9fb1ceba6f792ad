using DiMint.ZooKeeper.Storage;

namespace DiMint.ZooKeeper.Tests;

[Trait("Category", "Unit")]
public sealed class ZnodeNameTests
{
    [Theory]
    [InlineData("overlord/0", "overlord%2F0")]
    [InlineData("..", "%2E%2E")]
    [InlineData("a_b-C9", "a_b-C9")]
    [InlineData("100%", "100%25")]
    [InlineData("é", "%C3%A9")]
    [InlineData("", "%")]
    public void Escape_GivesOneValidZnodeName(string value, string expected)
    {
        var escaped = ZnodeName.Escape(value);

        Assert.Equal(expected, escaped);
        ZooKeeperPath.Validate("/" + escaped);
    }

    [Fact]
    public void Escape_IsInjective_ForDistinctIds()
    {
        var ids = new[] { "a/b", "a%2Fb", "a.b", "a%2Eb", "ab" };

        Assert.Equal(ids.Length, ids.Select(ZnodeName.Escape).Distinct().Count());
    }
}
