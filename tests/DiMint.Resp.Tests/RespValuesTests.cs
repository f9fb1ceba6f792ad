using System.Text;
using DiMint.Resp.Protocol;

namespace DiMint.Resp.Tests;

/// <summary>Redis's strings meet DiMint's types: canonical integers stay integers, text stays text, the rest is bytes.</summary>
[Trait("Category", "Unit")]
public sealed class RespValuesTests
{
    [Theory]
    [InlineData("10", 10L)]
    [InlineData("-7", -7L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("007", "007")]
    [InlineData("-0", "-0")]
    [InlineData("+1", "+1")]
    [InlineData(" 1", " 1")]
    [InlineData("1.5", "1.5")]
    [InlineData("9223372036854775808", "9223372036854775808")]
    [InlineData("héllo", "héllo")]
    public void FromRedis_StoresCanonicalIntegersAsIntegers_AndTextAsText(string given, object stored) =>
        Assert.Equal(stored, RespValues.FromRedis(Encoding.UTF8.GetBytes(given)));

    [Fact]
    public void FromRedis_KeepsBytesThatAreNotUtf8()
    {
        var bytes = new byte[] { 0xFF, 0xFE, 0x00 };
        Assert.Equal(bytes, Assert.IsType<byte[]>(RespValues.FromRedis(bytes)));
    }

    [Fact]
    public void Types_AndStringForms_FollowRedis()
    {
        Assert.True(RespValues.TryString(1.5, out var d));
        Assert.Equal("1.5", Encoding.ASCII.GetString(d));
        Assert.True(RespValues.TryString(null, out var n));
        Assert.Equal("null", Encoding.ASCII.GetString(n));
        Assert.False(RespValues.TryString(new List<object?> { 1L }, out _));
        Assert.Equal("list", RespValues.TypeOf(new List<object?> { 1L }));
        Assert.Equal("hash", RespValues.TypeOf(new Dictionary<object, object?> { ["a"] = 1L }));
        Assert.Equal("set", RespValues.TypeOf(new HashSet<object?> { 1L }));

        // Nested: no Redis type holds it, so it reads as its JSON notation.
        var nested = new List<object?> { new List<object?> { 1L } };
        Assert.Equal("string", RespValues.TypeOf(nested));
        Assert.True(RespValues.TryString(nested, out var json));
        Assert.Equal("[[1]]", Encoding.UTF8.GetString(json));
    }
}
