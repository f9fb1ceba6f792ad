using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using DiMint.Testing;

namespace DiMint.Resp.Tests;

/// <summary>
/// Redis's own tools against a silo's Redis-protocol port: a scripted <c>redis-cli</c> session (RESP2 and RESP3), and
/// <c>redis-benchmark</c> with no errors; and the cluster secret as the AUTH password, on a raw connection.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(RespClusterCollection.Name)]
public sealed class RedisToolsTests(RespClusterFixture fixture)
{
    [Fact]
    public async Task RedisCli_ScriptedSession_AnswersAsRedisWould()
    {
        var key = TestKeys.Key("k");
        var output = await RunAsync("redis-cli", $"-p {fixture.Open.Port}", $"""
            PING
            SET {key} hello
            GET {key}
            SET {key}:n 10
            INCRBY {key}:n 5
            DECR {key}:n
            SET {key} bye XX GET
            SETNX {key} again
            EXPIRE {key} 100
            TTL {key}
            PERSIST {key}
            TTL {key}
            TTL {key}:missing
            EXISTS {key} {key}:n {key}:missing
            MSET {key}:a 1 {key}:b two
            MGET {key}:a {key}:b {key}:missing
            TYPE {key}
            DEL {key} {key}:n {key}:missing
            SELECT 1
            MULTI
            """);

        Assert.Equal(
            $"""
            PONG
            OK
            hello
            OK
            15
            14
            hello
            0
            1
            100
            1
            -1
            -2
            2
            OK
            1
            two

            string
            2
            ERR DB index is out of range

            ERR MULTI is not supported by DiMint: keys live on different masters, and a transaction across them is not atomic. Use SET with NX or XX, INCR, or the .NET client's compare-and-set.
            """,
            output.TrimEnd());
    }

    [Fact]
    public async Task RedisCli_Resp3_GetsMapsAndNulls()
    {
        var client = fixture.NewClient();
        var hash = TestKeys.Key("hash");
        await client.SetAsync(hash, new Dictionary<string, string> { ["f"] = "v" });
        var output = await RunAsync("redis-cli", $"-3 --no-raw -p {fixture.Open.Port}", $"""
            HGETALL {hash}
            GET {hash}:missing
            """);
        Assert.Equal("1# \"f\" => \"v\"\n(nil)", output.TrimEnd().Replace("\r", ""));
    }

    [Fact]
    public async Task RedisBenchmark_SetGetIncrMset_RunsWithoutErrors_AndLeavesWhatItWrote()
    {
        // Without -r, redis-benchmark uses its keys' names as they are: one counter, incremented once per request. It
        // stops with a non-zero exit code at the first error reply.
        var output = await RunAsync("redis-benchmark", $"-p {fixture.Open.Port} -t set,get,incr,mset -n 3000 -c 20 -P 4 --csv", stdin: null);
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
        foreach (var test in new[] { "SET", "GET", "INCR", "MSET (10 keys)" })
        {
            var line = output.Split('\n').SingleOrDefault(l => l.StartsWith($"\"{test}\",", StringComparison.Ordinal));
            Assert.True(line is not null && double.Parse(line.Split(',')[1].Trim('"'), System.Globalization.CultureInfo.InvariantCulture) > 0, $"no throughput for {test}:\n{output}");
        }

        var client = fixture.NewClient();
        Assert.Equal(3000L, await client.GetAsync<long>("counter:__rand_int__"));
        Assert.Equal(3, (await client.GetAsync<string>("key:__rand_int__")).Length);
        await client.DeleteAsync("counter:__rand_int__");
    }

    [Fact]
    public async Task ClusterSecret_IsTheAuthPassword_AndNothingRunsBeforeIt()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", fixture.Guarded.Port);
        var stream = tcp.GetStream();
        var refusedBefore = fixture.Guarded.Refused;

        Assert.Equal("-NOAUTH Authentication required.", await SendAsync(stream, "PING"));
        Assert.Equal("-NOAUTH Authentication required.", await SendAsync(stream, $"SET {TestKeys.Key("k")} v"));
        Assert.StartsWith("-WRONGPASS", await SendAsync(stream, "AUTH not-the-secret-at-all"));
        Assert.StartsWith("-WRONGPASS", await SendAsync(stream, $"AUTH someone {RespClusterFixture.Secret}"));
        Assert.Equal("+OK", await SendAsync(stream, $"AUTH default {RespClusterFixture.Secret}"));
        Assert.Equal("+PONG", await SendAsync(stream, "PING"));
        Assert.Equal(refusedBefore + 2, fixture.Guarded.Refused);
        Assert.False((await fixture.NewClient().TryGetAsync<string>(TestKeys.Key("k"))).Found, "a write sent before AUTH was stored");

        // redis-cli with the secret as its password.
        var key = TestKeys.Key("cli");
        Assert.Equal("OK\nv", (await RunAsync("redis-cli", $"-p {fixture.Guarded.Port} -a {RespClusterFixture.Secret} --no-auth-warning", $"SET {key} v\nGET {key}")).TrimEnd());
    }

    [Fact]
    public async Task Pipeline_OfCommandsOnOneKeyAndOnMany_IsAnsweredInOrder_AsIfRunOneByOne()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", fixture.Open.Port);
        var stream = tcp.GetStream();
        var (k, other) = (TestKeys.Key("k"), TestKeys.Key("other"));
        var commands = new List<string> { $"SET {k} 1", $"INCR {k}", $"SET {other} x", $"INCR {k}", $"GET {k}", $"GETDEL {other}", $"EXISTS {other}", $"DEL {k}", $"GET {k}" };
        var expected = new List<string> { "+OK", ":2", "+OK", ":3", "$1", "3", "$1", "x", ":0", ":1", "$-1" };
        for (var i = 0; i < 200; i++)
        {
            commands.Add($"SET {k}:{i} {i}");
            expected.Add("+OK");
        }

        // One write: the silo reads them all before it answers the first.
        await stream.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(commands.Select(c => c + "\r\n"))));
        var lines = new List<string>();
        foreach (var _ in expected)
        {
            lines.Add(await ReadLineAsync(stream));
        }

        Assert.Equal(expected, lines);
        Assert.Equal(199L, await fixture.NewClient().GetAsync<long>($"{k}:199"));
    }

    /// <summary>Sends an inline command and reads one reply line.</summary>
    internal static async Task<string> SendAsync(Stream stream, string command)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"));
        return await ReadLineAsync(stream);
    }

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != (byte)'\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString().TrimEnd('\r');
    }

    /// <summary>Runs a Redis tool (Debian's redis-tools) with <paramref name="stdin"/> as its input; answers its output.</summary>
    private static async Task<string> RunAsync(string tool, string arguments, string? stdin)
    {
        var start = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.Replace("\r", "") + "\n");
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        var text = (await output).Replace("\r", "");
        Assert.True(process.ExitCode == 0, $"{tool} {arguments} exited with {process.ExitCode}: {await error}\n{text}");
        return text;
    }
}
