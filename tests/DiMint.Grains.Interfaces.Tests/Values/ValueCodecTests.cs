using System.Collections.Immutable;
using CsCheck;

namespace DiMint.Tests.Values;

[Trait("Category", "Unit")]
public sealed class ValueCodecTests
{
    [Fact]
    public void RandomNestedValues_RoundTrip_WithSameShapeAndTypes()
    {
        ValueGen.Value(4).Sample(value =>
        {
            var decoded = ValueCodec.Decode(ValueCodec.Encode(value));
            Assert.True(ValueComparer.Instance.Equals(value, decoded), $"{ValueJson.Format(value)} came back as {ValueJson.Format(decoded)}");
        }, iter: 2000);
    }

    [Fact]
    public void RandomValues_SurviveJsonNotation()
    {
        ValueGen.Value(3).Sample(value =>
        {
            var text = ValueJson.Format(value);
            var parsed = ValueJson.Parse(text);
            Assert.True(ValueComparer.Instance.Equals(value, parsed), $"{text} parsed as {ValueJson.Format(parsed)}");
        }, iter: 1000);
    }

    [Fact]
    public void DotNetCollections_AreStoredAsTheirKind()
    {
        var value = new Dictionary<string, object?>
        {
            ["ints"] = new[] { 1, 2, 3 },
            ["set"] = new SortedSet<string> { "b", "a" },
            ["hash"] = ImmutableHashSet.Create(1L, 2L),
            ["intKeys"] = new Dictionary<int, string> { [1] = "1" },
            ["readOnly"] = ImmutableDictionary<long, bool>.Empty.Add(7, true),
            ["bytes"] = new ReadOnlyMemory<byte>([1, 2]),
            ["float"] = 1.5f,
            ["mixed"] = new List<object?> { 1, "two", 3.0, null, true },
        };

        var decoded = Assert.IsType<Dictionary<object, object?>>(ValueCodec.Decode(ValueCodec.Encode(value)));

        Assert.Equal([1L, 2L, 3L], Assert.IsType<List<object?>>(decoded["ints"]));
        Assert.True(Assert.IsType<HashSet<object?>>(decoded["set"]).SetEquals(["a", "b"]));
        Assert.True(Assert.IsType<HashSet<object?>>(decoded["hash"]).SetEquals([1L, 2L]));
        Assert.Equal("1", Assert.IsType<Dictionary<object, object?>>(decoded["intKeys"])[1L]);
        Assert.Equal(true, Assert.IsType<Dictionary<object, object?>>(decoded["readOnly"])[7L]);
        Assert.Equal(new byte[] { 1, 2 }, decoded["bytes"]);
        Assert.Equal(1.5, decoded["float"]);
        Assert.Equal(new List<object?> { 1L, "two", 3.0, null, true }, Assert.IsType<List<object?>>(decoded["mixed"]));
    }

    [Fact]
    public void IntegerDictionaryKey_StaysAnInteger()
    {
        var decoded = (Dictionary<object, object?>)ValueCodec.Decode(ValueCodec.Encode(new Dictionary<object, object> { [1] = "1", ["1"] = "one" }))!;

        Assert.Equal("1", decoded[1L]);
        Assert.Equal("one", decoded["1"]);
    }

    [Fact]
    public void Stream_IsRefused_NamingTheType()
    {
        var ex = Assert.Throws<UnsupportedValueTypeException>(() => ValueCodec.Encode(new List<object> { new MemoryStream() }));
        Assert.Equal(typeof(MemoryStream).FullName, ex.TypeName);
        Assert.Equal(DiMintErrorCode.UnsupportedValueType, ex.Code);
    }

    [Fact]
    public void Delegate_IsRefused_NamingTheType()
    {
        Func<int> f = () => 1;
        var ex = Assert.Throws<UnsupportedValueTypeException>(() => ValueCodec.Encode(f));
        Assert.Contains("Func", ex.TypeName, StringComparison.Ordinal);
    }

    [Fact]
    public void Cycle_IsRefused()
    {
        var list = new List<object?> { 1 };
        list.Add(list);
        var ex = Assert.Throws<UnsupportedValueTypeException>(() => ValueCodec.Encode(list));
        Assert.Contains("cycle", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SharedButAcyclicReferences_AreFine()
    {
        var shared = new List<object?> { 1 };
        var decoded = (List<object?>)ValueCodec.Decode(ValueCodec.Encode(new List<object?> { shared, shared }))!;
        Assert.Equal(2, decoded.Count);
    }

    [Fact]
    public void Decimal_IsRefusedWithAHint()
    {
        var ex = Assert.Throws<UnsupportedValueTypeException>(() => ValueCodec.Encode(1.5m));
        Assert.Contains("double", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CustomObject_IsRefused()
    {
        Assert.Throws<UnsupportedValueTypeException>(() => ValueCodec.Encode(new Uri("http://example.org")));
    }

    [Fact]
    public void NonScalarDictionaryKey_IsRefused()
    {
        Assert.Throws<UnsupportedValueTypeException>(() => ValueCodec.Encode(new Dictionary<object, int> { [new List<int>()] = 1 }));
    }

    [Fact]
    public void ValueOverLimit_IsRefusedWithSizes()
    {
        var ex = Assert.Throws<LimitExceededException>(() => ValueCodec.Encode(new byte[2000], maxValueBytes: 1024));
        Assert.Equal(LimitKind.ValueSize, ex.Limit);
        Assert.True(ex.Actual > 2000);
        Assert.Equal(1024, ex.Maximum);
    }

    [Fact]
    public void TooDeepNesting_IsRefused()
    {
        object? value = 1;
        for (var i = 0; i < ValueCodec.MaxDepth + 1; i++)
        {
            value = new List<object?> { value };
        }

        Assert.Equal(LimitKind.NestingDepth, Assert.Throws<LimitExceededException>(() => ValueCodec.Encode(value)).Limit);
    }

    [Fact]
    public void GarbageBytes_AreAFormatError()
    {
        Assert.Throws<FormatException>(() => ValueCodec.Decode(new byte[] { 0xc1 }));
        Assert.Throws<FormatException>(() => ValueCodec.Decode(new byte[] { 0x92, 0x01 }));
    }
}
