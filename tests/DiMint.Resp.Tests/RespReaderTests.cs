using System.Text;
using DiMint.Resp.Protocol;

namespace DiMint.Resp.Tests;

/// <summary>Commands as Redis clients send them, whole or cut anywhere; malformed or oversize input is a protocol error, never a crash or a huge allocation.</summary>
[Trait("Category", "Unit")]
public sealed class RespReaderTests
{
    [Fact]
    public async Task ArraysAndInlineCommands_ReadAsArguments_InOrder_EvenOneByteAtATime()
    {
        var input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nxy\r\nPING\r\n\r\nset \"a b\" 'c d'\r\n*1\r\n$4\r\nPING\r\n";
        foreach (var chunk in new[] { 1, 3, 1024 })
        {
            var reader = new RespReader(new ChunkedStream(Encoding.UTF8.GetBytes(input), chunk), 1024);
            var commands = new List<string[]>();
            while (await reader.ReadCommandAsync(CancellationToken.None) is { } args)
            {
                commands.Add([.. args.Select(a => Encoding.UTF8.GetString(a))]);
            }

            Assert.Equal<string[]>([["SET", "k", "v\r\nxy"], ["PING"], ["set", "a b", "c d"], ["PING"]], commands);
        }
    }

    [Theory]
    [InlineData("*-1\r\n")]
    [InlineData("*2\r\n$3\r\nGET\r\n:1\r\n")]
    [InlineData("*1\r\n$3\r\nGETX\r\n")]
    [InlineData("*1\r\n$99999999\r\n")]
    [InlineData("*1\r\n$abc\r\n")]
    [InlineData("*99999999999\r\n")]
    [InlineData("set \"unclosed\r\n")]
    [InlineData("*2\r\n$3\r\nGET\r\n")]
    public async Task MalformedTruncatedOrOversize_IsAProtocolError(string input)
    {
        var reader = new RespReader(new MemoryStream(Encoding.UTF8.GetBytes(input)), 1024);
        await Assert.ThrowsAsync<RespProtocolException>(async () =>
        {
            while (await reader.ReadCommandAsync(CancellationToken.None) is not null)
            {
            }
        });
    }

    [Fact]
    public async Task RandomBytes_EndInCommandsOrAProtocolError_NeverAnotherException()
    {
        var random = new Random(17);
        for (var i = 0; i < 2_000; i++)
        {
            var bytes = new byte[random.Next(1, 64)];
            random.NextBytes(bytes);
            if (i % 2 == 0)
            {
                // Mostly well-formed headers with random tails, so the parser gets past the first byte.
                var header = Encoding.ASCII.GetBytes($"*{random.Next(-2, 4)}\r\n${random.Next(-2, 8)}\r\n");
                bytes = [.. header, .. bytes];
            }

            var reader = new RespReader(new MemoryStream(bytes), 1024);
            try
            {
                while (await reader.ReadCommandAsync(CancellationToken.None) is not null)
                {
                }
            }
            catch (RespProtocolException)
            {
                // Refused, as it should be.
            }
        }
    }

    /// <summary>A stream that hands out at most <paramref name="chunk"/> bytes per read.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
