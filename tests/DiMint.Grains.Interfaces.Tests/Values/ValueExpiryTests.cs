namespace DiMint.Tests.Values;

/// <summary>A value's expiry rides in front of its bytes, never confused with a value of its own, and decodes away.</summary>
[Trait("Category", "Unit")]
public sealed class ValueExpiryTests
{
    [Fact]
    public void Wrapped_DecodesToTheValue_AndTellsItsExpiry()
    {
        var value = ValueCodec.Encode(new List<object?> { 1L, "two" });
        var stored = ValueExpiry.Wrap(value, 1_000);

        Assert.Equal(value.Length + ValueExpiry.HeaderSize, stored.Length);
        Assert.Equal(1_000, ValueExpiry.ExpiresAt(stored));
        Assert.Equal(new List<object?> { 1L, "two" }, ValueCodec.Decode(stored));
        Assert.False(ValueExpiry.IsExpired(stored, 999));
        Assert.True(ValueExpiry.IsExpired(stored, 1_000));
        Assert.Equal(value, ValueExpiry.Strip(stored));
        Assert.Equal(2_000, ValueExpiry.ExpiresAt(ValueExpiry.Wrap(stored, 2_000)));
        Assert.Equal(value.Length + ValueExpiry.HeaderSize, ValueExpiry.Wrap(stored, 2_000).Length);
    }

    [Fact]
    public void NoPlainValue_LooksLikeOneWithAnExpiry()
    {
        object?[] values = [null, true, 0L, -1L, long.MaxValue, 1.5, "", "text", new byte[] { 0xC1 }, new List<object?>(), new HashSet<object?> { 1L }, new Dictionary<object, object?> { ["a"] = 1L }];
        foreach (var value in values)
        {
            var bytes = ValueCodec.Encode(value);
            Assert.False(ValueExpiry.HasExpiry(bytes), $"{ValueCodec.KindOf(value)} starts with the expiry marker");
            Assert.Null(ValueExpiry.ExpiresAt(bytes));
            Assert.False(ValueExpiry.IsExpired(bytes, long.MaxValue));
        }
    }

    [Fact]
    public void Version_FollowsTheValue_NotItsExpiry()
    {
        var value = ValueCodec.Encode("v");
        Assert.Equal(ValueExpiry.VersionOf(value), ValueExpiry.VersionOf(ValueExpiry.Wrap(value, 5)));
        Assert.NotEqual(ValueExpiry.VersionOf(value), ValueExpiry.VersionOf(ValueCodec.Encode("w")));
    }

    [Fact]
    public void Ttl_OutsideItsBounds_IsRefused()
    {
        Assert.Throws<InvalidExpiryException>(() => ValueExpiry.CheckTtl(TimeSpan.Zero));
        Assert.Throws<InvalidExpiryException>(() => ValueExpiry.CheckTtl(TimeSpan.FromTicks(-1)));
        Assert.Throws<InvalidExpiryException>(() => ValueExpiry.CheckTtl(ValueExpiry.MaxTtl + TimeSpan.FromDays(1)));
        Assert.Equal(1_001, ValueExpiry.ExpiryFor(TimeSpan.FromTicks(1), 1_000));
    }
}
