using DiMint.Client;
using DiMint.Testing;
using StackExchange.Redis;

namespace DiMint.Resp.Tests;

/// <summary>
/// StackExchange.Redis, a Redis client nobody here wrote, against a silo's Redis-protocol port: strings, counters,
/// expiry and conditional writes, DiMint's lists, dictionaries and sets as Redis types, pipelining, and Redis's errors.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(RespClusterCollection.Name)]
public sealed class StackExchangeRedisTests(RespClusterFixture fixture) : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;

    private IDatabase Db => _redis.GetDatabase();

    public async Task InitializeAsync() =>
        _redis = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { { "127.0.0.1", fixture.Open.Port } }, ConnectTimeout = 15_000, SyncTimeout = 15_000, AsyncTimeout = 15_000 });

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Strings_Counters_Expiry_AndConditionalWrites_BehaveAsInRedis()
    {
        var key = TestKeys.Key("k");
        var counter = TestKeys.Key("counter");
        Assert.True(await Db.StringSetAsync(key, "v"));
        Assert.Equal("v", (string?)await Db.StringGetAsync(key));
        Assert.Equal(RedisType.String, await Db.KeyTypeAsync(key));
        Assert.Null((string?)await Db.StringGetAsync(TestKeys.Key("missing")));

        Assert.Equal(1, await Db.StringIncrementAsync(counter));
        Assert.Equal(6, await Db.StringIncrementAsync(counter, 5));
        Assert.Equal(4, await Db.StringDecrementAsync(counter, 2));
        Assert.Equal("4", (string?)await Db.StringGetAsync(counter));

        Assert.False(await Db.StringSetAsync(key, "other", when: When.NotExists));
        Assert.True(await Db.StringSetAsync(key, "xx", when: When.Exists));
        Assert.False(await Db.StringSetAsync(TestKeys.Key("absent"), "xx", when: When.Exists));
        Assert.False(await Db.KeyExistsAsync(TestKeys.Key("absent")));

        Assert.Null(await Db.KeyTimeToLiveAsync(key));
        Assert.True(await Db.KeyExpireAsync(key, TimeSpan.FromMinutes(10)));
        Assert.InRange((await Db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.True(await Db.KeyPersistAsync(key));
        Assert.Null(await Db.KeyTimeToLiveAsync(key));

        var session = TestKeys.Key("session");
        Assert.True(await Db.StringSetAsync(session, "s", TimeSpan.FromMilliseconds(500)));
        await Wait.UntilAsync(async () => !await Db.KeyExistsAsync(session), TimeSpan.FromSeconds(10), "the session to expire", TimeSpan.FromMilliseconds(20));

        Assert.Equal("xx", (string?)await Db.StringGetDeleteAsync(key));
        Assert.False(await Db.KeyExistsAsync(key));
        Assert.True(await Db.KeyDeleteAsync(counter));
        Assert.False(await Db.KeyDeleteAsync(counter));
    }

    [Fact]
    public async Task ValuesWrittenByEitherSide_ReadWithTheirTypes_OnTheOther()
    {
        var client = fixture.NewClient();
        var (list, hash, set, number, text, nested) = (TestKeys.Key("list"), TestKeys.Key("hash"), TestKeys.Key("set"), TestKeys.Key("n"), TestKeys.Key("t"), TestKeys.Key("nested"));
        await client.SetAsync(list, new List<object> { "a", 2, 1.5 });
        await client.SetAsync(hash, new Dictionary<string, object> { ["f"] = "v", ["n"] = 1 });
        await client.SetAsync(set, new HashSet<string> { "x", "y" });
        await client.SetAsync(nested, new List<object> { new List<int> { 1 } });

        Assert.Equal(["a", "2", "1.5"], (await Db.ListRangeAsync(list)).Select(v => (string)v!));
        Assert.Equal(["2", "1.5"], (await Db.ListRangeAsync(list, -2, -1)).Select(v => (string)v!));
        Assert.Equal(3, await Db.ListLengthAsync(list));
        Assert.Equal(RedisType.List, await Db.KeyTypeAsync(list));
        Assert.Equal(new Dictionary<string, string> { ["f"] = "v", ["n"] = "1" }, (await Db.HashGetAllAsync(hash)).ToDictionary(e => (string)e.Name!, e => (string)e.Value!));
        Assert.Equal("v", (string?)await Db.HashGetAsync(hash, "f"));
        Assert.Equal(2, await Db.HashLengthAsync(hash));
        Assert.Equal(["x", "y"], (await Db.SetMembersAsync(set)).Select(v => (string)v!).Order());
        Assert.True(await Db.SetContainsAsync(set, "x"));
        Assert.Equal(2, await Db.SetLengthAsync(set));
        Assert.Equal("[[1]]", (string?)await Db.StringGetAsync(nested));

        var wrong = await Assert.ThrowsAsync<RedisServerException>(() => Db.StringGetAsync(list));
        Assert.StartsWith("WRONGTYPE", wrong.Message);

        // Written through Redis: a canonical integer is an integer, text is text, for DiMint's own clients.
        await Db.StringSetAsync(number, "42");
        await Db.StringSetAsync(text, "042");
        Assert.Equal(42L, await client.GetAsync(number));
        Assert.Equal("042", await client.GetAsync(text));
        Assert.Equal(43L, await client.IncrementAsync(number));
        Assert.Equal("43", (string?)await Db.StringGetAsync(number));
    }

    [Fact]
    public async Task PipelinedCommands_AreAllAnswered_InOrder()
    {
        var keys = Enumerable.Range(0, 2_000).Select(i => TestKeys.Key($"{i}")).ToArray();
        var batch = Db.CreateBatch();
        var sets = keys.Select((k, i) => batch.StringSetAsync(k, $"v{i}")).ToArray();
        var gets = keys.Select(k => batch.StringGetAsync(k)).ToArray();
        batch.Execute();

        Assert.All(await Task.WhenAll(sets), Assert.True);
        Assert.Equal(keys.Select((_, i) => $"v{i}"), (await Task.WhenAll(gets)).Select(v => (string)v!));
        Assert.Equal(keys.Select((_, i) => $"v{i}"), (await Db.StringGetAsync([.. keys.Select(k => (RedisKey)k)])).Select(v => (string)v!));
    }

    [Fact]
    public async Task BadInput_GetsRedisErrors_AndChangesNothing()
    {
        var text = TestKeys.Key("text");
        await Db.StringSetAsync(text, "not a number");

        Assert.Equal("ERR value is not an integer or out of range", (await Assert.ThrowsAsync<RedisServerException>(() => Db.StringIncrementAsync(text))).Message);
        Assert.StartsWith("ERR unknown command", (await Assert.ThrowsAsync<RedisServerException>(() => Db.ExecuteAsync("NOSUCHCOMMAND"))).Message);
        Assert.StartsWith("ERR wrong number of arguments", (await Assert.ThrowsAsync<RedisServerException>(() => Db.ExecuteAsync("GET", text, "extra"))).Message);
        Assert.StartsWith("ERR invalid expire time", (await Assert.ThrowsAsync<RedisServerException>(() => Db.ExecuteAsync("SET", text, "x", "EX", "0"))).Message);
        Assert.StartsWith("ERR syntax error", (await Assert.ThrowsAsync<RedisServerException>(() => Db.ExecuteAsync("SET", text, "x", "NX", "XX"))).Message);
        var big = new string('x', fixture.NewClient().Options.MaxValueBytes + 10);
        Assert.StartsWith("ERR", (await Assert.ThrowsAsync<RedisServerException>(() => Db.StringSetAsync(text, big))).Message);

        Assert.Equal("not a number", (string?)await Db.StringGetAsync(text));
        Assert.Null(await Db.KeyTimeToLiveAsync(text));
    }
}
