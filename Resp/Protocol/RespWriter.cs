using System.Buffers;
using System.Globalization;
using System.Text;

namespace DiMint.Resp.Protocol;

/// <summary>
/// Writes replies into a buffer, in RESP2 or, after <c>HELLO 3</c>, RESP3 (maps, sets, doubles, booleans and a null of
/// their own; RESP2 gets them as arrays, bulk strings, integers and null bulk strings, as Redis sends them).
/// </summary>
internal sealed class RespWriter(int capacity = 256)
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    /// <summary>Sized for one command's reply by default (it grows as needed); a connection's outgoing buffer asks for more.</summary>
    private readonly ArrayBufferWriter<byte> _buffer = new(capacity);

    /// <summary>2 or 3.</summary>
    public int Protocol { get; set; } = 2;

    public int Length => _buffer.WrittenCount;

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public void Clear() => _buffer.ResetWrittenCount();

    /// <summary>Appends replies another writer holds.</summary>
    public void Append(RespWriter other) => _buffer.Write(other.Written.Span);

    public void Simple(string text) => Line('+', text);

    /// <summary>An error: <paramref name="message"/> starts with its code (ERR, WRONGTYPE, NOAUTH ...), as clients expect.</summary>
    public void Error(string message) => Line('-', message.Replace('\r', ' ').Replace('\n', ' '));

    public void Integer(long value) => Line(':', value.ToString(CultureInfo.InvariantCulture));

    public void Bulk(ReadOnlySpan<byte> value)
    {
        Line('$', value.Length.ToString(CultureInfo.InvariantCulture));
        _buffer.Write(value);
        _buffer.Write(Crlf);
    }

    public void Bulk(string value) => Bulk(Encoding.UTF8.GetBytes(value));

    /// <summary>The null reply: RESP3's <c>_</c>, RESP2's null bulk string.</summary>
    public void Null()
    {
        if (Protocol >= 3)
        {
            Line('_', string.Empty);
        }
        else
        {
            Line('$', "-1");
        }
    }

    public void Array(int count) => Line('*', count.ToString(CultureInfo.InvariantCulture));

    /// <summary>A map of <paramref name="pairs"/> entries (RESP2: an array of twice as many elements).</summary>
    public void Map(int pairs) => Line(Protocol >= 3 ? '%' : '*', (Protocol >= 3 ? pairs : pairs * 2).ToString(CultureInfo.InvariantCulture));

    /// <summary>A set of <paramref name="count"/> members (RESP2: an array).</summary>
    public void Set(int count) => Line(Protocol >= 3 ? '~' : '*', count.ToString(CultureInfo.InvariantCulture));

    /// <summary>A double (RESP2: its text as a bulk string, as Redis sends scores).</summary>
    public void Double(double value)
    {
        var text = RespValues.FormatDouble(value);
        if (Protocol >= 3)
        {
            Line(',', text);
        }
        else
        {
            Bulk(text);
        }
    }

    private void Line(char type, string text)
    {
        var span = _buffer.GetSpan(text.Length * 3 + 3);
        span[0] = (byte)type;
        var written = Encoding.UTF8.GetBytes(text, span[1..]);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        _buffer.Advance(written + 3);
    }
}
