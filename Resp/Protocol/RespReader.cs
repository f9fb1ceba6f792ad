using System.Buffers;
using System.Text;

namespace DiMint.Resp.Protocol;

/// <summary>
/// Reads commands as Redis clients send them: arrays of bulk strings (<c>*2\r\n$3\r\nGET\r\n$1\r\nk\r\n</c>), or inline
/// commands (a line of words, as a person types into telnet). Bounds every length it is given before it reads: a
/// command of more than <see cref="MaxArguments"/> arguments, an argument longer than the value limit allows, or a
/// malformed frame is a <see cref="RespProtocolException"/>, after which the connection is closed.
/// </summary>
internal sealed class RespReader(Stream stream, int maxBulkBytes)
{
    /// <summary>The most arguments one command may have (an MSET of half a million entries).</summary>
    public const int MaxArguments = 1 << 20;

    /// <summary>The longest line (a length header, or an inline command).</summary>
    private const int MaxLine = 64 * 1024;

    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>Whether a whole command may already be buffered (so the caller can read on before answering).</summary>
    public bool HasBuffered => _end > _start;

    /// <summary>The next command's arguments, or null at the end of the stream.</summary>
    public async ValueTask<byte[][]?> ReadCommandAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await FillAsync(1, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            if (_buffer[_start] == (byte)'*')
            {
                return await ReadArrayAsync(cancellationToken).ConfigureAwait(false);
            }

            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }

            var words = SplitInline(line);
            if (words.Length > 0)
            {
                return words;
            }

            // An empty line: redis-cli and telnet users send them; nothing to answer.
        }
    }

    private async ValueTask<byte[][]> ReadArrayAsync(CancellationToken cancellationToken)
    {
        var count = await ReadLengthAsync('*', cancellationToken).ConfigureAwait(false);
        if (count < 1 || count > MaxArguments)
        {
            throw new RespProtocolException($"invalid multibulk length {count}");
        }

        var args = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            if (!await FillAsync(1, cancellationToken).ConfigureAwait(false))
            {
                throw new RespProtocolException("the connection ended inside a command");
            }

            if (_buffer[_start] != (byte)'$')
            {
                throw new RespProtocolException($"expected '$', got '{(char)_buffer[_start]}'");
            }

            var length = await ReadLengthAsync('$', cancellationToken).ConfigureAwait(false);
            if (length < 0 || length > maxBulkBytes)
            {
                throw new RespProtocolException($"invalid bulk length {length}");
            }

            if (!await FillAsync(length + 2, cancellationToken).ConfigureAwait(false))
            {
                throw new RespProtocolException("the connection ended inside a command");
            }

            args[i] = _buffer.AsSpan(_start, length).ToArray();
            if (_buffer[_start + length] != (byte)'\r' || _buffer[_start + length + 1] != (byte)'\n')
            {
                throw new RespProtocolException("a bulk string does not end with CRLF");
            }

            _start += length + 2;
        }

        return args;
    }

    /// <summary>Reads a header line <c>{prefix}{integer}\r\n</c> and answers the integer.</summary>
    private async ValueTask<int> ReadLengthAsync(char prefix, CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RespProtocolException("the connection ended inside a command");
        if (line.Length < 2 || line[0] != prefix || !long.TryParse(line.AsSpan(1), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || value is < int.MinValue or > int.MaxValue)
        {
            throw new RespProtocolException(prefix == '*' ? "invalid multibulk length" : "invalid bulk length");
        }

        return (int)value;
    }

    /// <summary>A line without its CRLF (a lone LF ends one too, as Redis accepts for inline commands), or null at the end of the stream.</summary>
    private async ValueTask<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var at = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (at >= 0)
            {
                var end = at > _start && _buffer[at - 1] == (byte)'\r' ? at - 1 : at;
                var line = _buffer.AsSpan(_start, end - _start).ToArray();
                _start = at + 1;
                return line;
            }

            scanned = _end - _start;
            if (scanned > MaxLine)
            {
                throw new RespProtocolException("too big inline request");
            }

            if (!await FillAsync(scanned + 1, cancellationToken).ConfigureAwait(false))
            {
                if (scanned == 0)
                {
                    return null;
                }

                throw new RespProtocolException("the connection ended inside a command");
            }
        }
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered; false when the stream ends first.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_buffer.Length - _start < count)
        {
            var size = _buffer.Length;
            while (size < count)
            {
                size *= 2;
            }

            var next = size > _buffer.Length ? new byte[size] : _buffer;
            Buffer.BlockCopy(_buffer, _start, next, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _buffer = next;
        }

        while (_end - _start < count)
        {
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    /// <summary>Splits an inline command into words: spaces separate, double or single quotes group, backslash escapes in double quotes.</summary>
    internal static byte[][] SplitInline(byte[] line)
    {
        var words = new List<byte[]>();
        var text = Encoding.UTF8.GetString(line);
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                return [.. words];
            }

            var word = new StringBuilder();
            if (text[i] is '"' or '\'')
            {
                var quote = text[i++];
                var closed = false;
                while (i < text.Length)
                {
                    var c = text[i++];
                    if (c == quote)
                    {
                        closed = true;
                        break;
                    }

                    if (quote == '"' && c == '\\' && i < text.Length)
                    {
                        c = text[i++] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var other => other };
                    }

                    word.Append(c);
                }

                if (!closed || (i < text.Length && !char.IsWhiteSpace(text[i])))
                {
                    throw new RespProtocolException("unbalanced quotes in request");
                }
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    word.Append(text[i++]);
                }
            }

            words.Add(Encoding.UTF8.GetBytes(word.ToString()));
        }
    }
}

/// <summary>A client broke the protocol; it is answered with the error and its connection closed, as Redis does.</summary>
internal sealed class RespProtocolException(string message) : Exception(message);
