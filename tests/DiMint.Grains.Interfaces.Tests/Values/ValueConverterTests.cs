namespace DiMint.Tests.Values;

[Trait("Category", "Unit")]
public sealed class ValueConverterTests
{
    private static object? RoundTrip(object? value) => ValueCodec.Decode(ValueCodec.Encode(value));

    [Fact]
    public void TypedReads_ConvertStoredShapes()
    {
        Assert.Equal(5, ValueConverter.Convert<int>(RoundTrip(5)));
        Assert.Equal([1, 2, 3], ValueConverter.Convert<int[]>(RoundTrip(new[] { 1, 2, 3 })));
        Assert.Equal(new HashSet<long> { 1, 2 }, ValueConverter.Convert<HashSet<long>>(RoundTrip(new HashSet<int> { 1, 2 })));
        Assert.Equal(new Dictionary<int, string> { [1] = "1" }, ValueConverter.Convert<Dictionary<int, string>>(RoundTrip(new Dictionary<int, string> { [1] = "1" })));
        Assert.Equal(["a"], ValueConverter.Convert<IReadOnlyList<string>>(RoundTrip(new[] { "a" })));
        Assert.Null(ValueConverter.Convert<string?>(RoundTrip(null)));
        Assert.Null(ValueConverter.Convert<int?>(RoundTrip(null)));
        Assert.Equal(2.0, ValueConverter.Convert<double>(RoundTrip(2L)));
    }

    [Fact]
    public void Mismatches_AreTypedErrors()
    {
        Assert.Equal("string", Assert.Throws<ValueTypeMismatchException>(() => ValueConverter.Convert<long>(RoundTrip("x"))).StoredType);
        Assert.Throws<ValueTypeMismatchException>(() => ValueConverter.Convert<int>(RoundTrip(long.MaxValue)));
        Assert.Throws<ValueTypeMismatchException>(() => ValueConverter.Convert<List<long>>(RoundTrip(new HashSet<int> { 1 })));
        Assert.Throws<ValueTypeMismatchException>(() => ValueConverter.Convert<int>(RoundTrip(null)));
        Assert.Throws<ValueTypeMismatchException>(() => ValueConverter.Convert<long>(RoundTrip(2.5)));
    }
}
