namespace DiMint.Tests.Values;

[Trait("Category", "Unit")]
public sealed class ValueJsonTests
{
    [Fact]
    public void OriginalReportExamples_ParseToTheirTypes()
    {
        Assert.True(Assert.IsType<HashSet<object?>>(ValueJson.Parse("""{"$set":[1,2,3,4,5]}""")).SetEquals([1L, 2L, 3L, 4L, 5L]));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], Assert.IsType<List<object?>>(ValueJson.Parse("[1,2,3,4,5]")));
        Assert.Equal("2", Assert.IsType<Dictionary<object, object?>>(ValueJson.Parse("""{"1":"1","2":"2","3":"3"}"""))["2"]);
    }

    [Fact]
    public void Numbers_KeepIntegerOrDouble()
    {
        Assert.IsType<long>(ValueJson.Parse("2"));
        Assert.IsType<double>(ValueJson.Parse("2.0"));
        Assert.IsType<double>(ValueJson.Parse("1e3"));
        Assert.Equal("2.0", ValueJson.Format(2.0));
        Assert.Equal("2", ValueJson.Format(2L));
    }

    [Fact]
    public void SpecialForms_RoundTrip()
    {
        foreach (var text in new[] { """{"$bytes":"AAEC"}""", """{"$dict":[[1,"one"],[true,null]]}""", """{"$double":"NaN"}""", """{"$dict":[["$set",1]]}""" })
        {
            Assert.Equal(text, ValueJson.Format(ValueJson.Parse(text)));
        }
    }

    [Theory]
    [InlineData("{bad")]
    [InlineData("""{"$set": 1}""")]
    [InlineData("""{"$bytes": "!!"}""")]
    [InlineData("""{"$dict": [[1]]}""")]
    [InlineData("""{"$dict": [[[1], 2]]}""")]
    [InlineData("""{"$nope": 1}""")]
    [InlineData("")]
    public void MalformedInput_IsAFormatError(string text)
    {
        Assert.Throws<FormatException>(() => ValueJson.Parse(text));
    }
}
