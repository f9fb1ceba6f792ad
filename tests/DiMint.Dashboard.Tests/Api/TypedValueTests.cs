using DiMint.Dashboard.Api;

namespace DiMint.Dashboard.Tests.Api;

[Trait("Category", "Unit")]
public sealed class TypedValueTests
{
    [Fact]
    public void Of_ADictHoldingASet_NamesEveryPartsType()
    {
        var value = ValueCodec.Decode(ValueCodec.Encode(ValueJson.Parse("""{"s":{"$set":[1]},"d":{"$dict":[[2,null]]},"b":{"$bytes":"AAE="},"x":1.5}""")));

        var typed = TypedValue.Of(value);

        Assert.Equal("dictionary", typed.Type);
        var entries = typed.Entries!.ToDictionary(e => (string)e.Key.Value!, e => e.Value);
        Assert.Equal("set", entries["s"].Type);
        Assert.Equal("integer", entries["s"].Items![0].Type);
        Assert.Equal("dictionary", entries["d"].Type);
        Assert.Equal("integer", entries["d"].Entries![0].Key.Type);
        Assert.Equal("null", entries["d"].Entries![0].Value.Type);
        Assert.Equal("bytes", entries["b"].Type);
        Assert.Equal("AAE=", entries["b"].Value);
        Assert.Equal("double", entries["x"].Type);
    }
}
