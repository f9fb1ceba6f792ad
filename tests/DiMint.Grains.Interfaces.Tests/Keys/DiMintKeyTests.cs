namespace DiMint.Tests.Keys;

[Trait("Category", "Unit")]
public sealed class DiMintKeyTests
{
    [Fact]
    public void ScalarKeys_BecomeInvariantText()
    {
        Assert.Equal("1", DiMintKey.Normalize(1));
        Assert.Equal("1", DiMintKey.Normalize(1L));
        Assert.Equal("2", DiMintKey.Normalize(2.0));
        Assert.Equal("2.5", DiMintKey.Normalize(2.5));
        Assert.Equal("0.1", DiMintKey.Normalize(0.1));
        Assert.Equal("2.5", DiMintKey.Normalize(2.5f));
        Assert.Equal("2.50", DiMintKey.Normalize(2.50m));
        Assert.Equal("True", DiMintKey.Normalize(true));
        var guid = Guid.NewGuid();
        Assert.Equal(guid.ToString(), DiMintKey.Normalize(guid));
    }

    [Fact]
    public void DoubleKeys_RoundTripExactly()
    {
        foreach (var d in new[] { 0.1 + 0.2, Math.PI, 1e300, -5e-324, 123456789.125 })
        {
            Assert.Equal(d, double.Parse(DiMintKey.Normalize(d), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void NullEmptyAndOddKeys_AreRefused()
    {
        Assert.Throws<InvalidKeyException>(() => DiMintKey.Normalize(null));
        Assert.Throws<InvalidKeyException>(() => DiMintKey.Normalize(""));
        Assert.Throws<InvalidKeyException>(() => DiMintKey.Normalize(double.NaN));
        Assert.Equal(typeof(List<int>).FullName, Assert.Throws<InvalidKeyException>(() => DiMintKey.Normalize(new List<int>())).KeyType);
    }

    [Fact]
    public void KeyOverLimit_IsRefusedByUtf8Size()
    {
        DiMintKey.CheckSize(new string('a', 100), 100);
        var ex = Assert.Throws<LimitExceededException>(() => DiMintKey.CheckSize(new string('é', 51), 100));
        Assert.Equal(102, ex.Actual);
        Assert.Equal(LimitKind.KeySize, ex.Limit);
    }
}
