using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Orleans.Serialization;

namespace DiMint;

/// <summary>
/// The payloads of data port frames (<see cref="FramedSocket"/>). The first byte names the format:
/// <list type="bullet">
/// <item><see cref="Binary"/>: DiMint's own layout, version 1, for what the port carries all the time: a client's reads
/// and plain writes and their answers, a master's batches of writes to its replicas and their acknowledgements.</item>
/// <item><see cref="Orleans"/>: Orleans' serializer, for everything else (updates, errors, Moved with a ring, rings,
/// probes, snapshots, a batch that names its range whole).</item>
/// </list>
/// Any other first byte, a length or count past the payload's end, an unknown enum value, invalid UTF-8 or bytes left
/// over are a <see cref="FormatException"/>: the peer is disconnected and nothing of the frame runs. No count is trusted
/// before the bytes it needs are there, so a frame cannot make the reader allocate more than the frame's own size.
/// </summary>
/// <remarks>
/// Layout of version 1, after the format byte: a kind byte, then (integers little-endian unless "varint", which is
/// LEB128; a string is its UTF-8 bytes after a varint length; "bytes?" is a varint of length + 1, 0 for null, then the
/// bytes):
/// <list type="bullet">
/// <item>client batch (1): ring version (8), parts (varint), each: grain key, read keys (varint count, strings), write
/// keys (same), write values (varint count, bytes?), write ids (1 byte: 0 none, 1 then client id (8), oldest (8),
/// varint count, ids (8 each)).</item>
/// <item>replication (2): ring version (8), batches (varint), each: range id (4), epoch (8), kind (1), first seq (8),
/// lineage epoch (8), kept from (8), ops (varint), each: key, value (bytes?), client id (8), write id (8), oldest (8),
/// keeps value (1).</item>
/// <item>results (1, an answer): parts (varint), each: flags (1: bit 0 reads, bit 1 writes), then the reads' status (1)
/// and values (varint count + 1, 0 for none; bytes? each), then the writes' status (1).</item>
/// <item>acknowledgements (2, an answer): count (varint), each: status (1), applied seq (8), epoch (8).</item>
/// </list>
/// Measured: Orleans' serializer was 5-13% of silo CPU at 80/20 (docs/architecture.md, "Where the time goes").
/// </remarks>
public sealed class DataPortCodec(Serializer<DataPortRequest> requests, Serializer<DataPortAnswer> answers)
    : IFrameWriter<DataPortRequest>, IFrameWriter<DataPortAnswer>
{
    /// <summary>The first byte of a payload in Orleans' serializer's format.</summary>
    public const byte Orleans = 0;

    /// <summary>The first byte of a payload in DiMint's binary layout, version 1.</summary>
    public const byte Binary = 1;

    private const byte ClientBatch = 1;
    private const byte Replication = 2;
    private const byte Results = 1;
    private const byte Acks = 2;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes a request's payload: in the binary layout when it holds all of it, else in Orleans' format.</summary>
    public void Write(DataPortRequest value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IsBinary(value))
        {
            var writer = new Writer(output);
            writer.Byte(Binary);
            if (value.Replication is { } batches)
            {
                writer.Byte(Replication);
                writer.Long(value.RingVersion);
                writer.Count(batches.Length);
                foreach (var batch in batches)
                {
                    WriteReplication(ref writer, batch);
                }
            }
            else
            {
                writer.Byte(ClientBatch);
                writer.Long(value.RingVersion);
                writer.Count(value.Batches.Length);
                foreach (var part in value.Batches)
                {
                    WritePart(ref writer, part);
                }
            }

            return;
        }

        output.GetSpan(1)[0] = Orleans;
        output.Advance(1);
        requests.Serialize(value, output);
    }

    /// <summary>Writes an answer's payload: in the binary layout when it holds all of it, else in Orleans' format.</summary>
    public void Write(DataPortAnswer value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IsBinary(value))
        {
            var writer = new Writer(output);
            writer.Byte(Binary);
            if (value.Replicated is { } acks)
            {
                writer.Byte(Acks);
                writer.Count(acks.Length);
                foreach (var answer in acks)
                {
                    var ack = answer.Ack!;
                    writer.Byte((byte)ack.Status);
                    writer.Long(ack.AppliedSeq);
                    writer.Long(ack.Epoch);
                }
            }
            else
            {
                writer.Byte(Results);
                writer.Count(value.Results!.Length);
                foreach (var result in value.Results)
                {
                    writer.Byte((byte)((result.Reads is null ? 0 : 1) | (result.Writes is null ? 0 : 2)));
                    if (result.Reads is { } reads)
                    {
                        writer.Byte((byte)reads.Status);
                        writer.Count(reads.Values is null ? 0 : reads.Values.Length + 1);
                        foreach (var bytes in reads.Values ?? [])
                        {
                            writer.NullableBytes(bytes);
                        }
                    }

                    if (result.Writes is { } writes)
                    {
                        writer.Byte((byte)writes.Status);
                    }
                }
            }

            return;
        }

        output.GetSpan(1)[0] = Orleans;
        output.Advance(1);
        answers.Serialize(value, output);
    }

    /// <summary>Reads a request's payload.</summary>
    /// <exception cref="FormatException">The payload is not a request in either format.</exception>
    public DataPortRequest ReadRequest(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty)
        {
            throw new FormatException("An empty payload.");
        }

        if (payload.Span[0] == Orleans)
        {
            return requests.Deserialize(payload[1..]) ?? throw new FormatException("A null request.");
        }

        var reader = new Reader(payload.Span);
        CheckBinary(reader.Byte());
        DataPortRequest request;
        switch (reader.Byte())
        {
            case ClientBatch:
                {
                    var ringVersion = reader.Long();
                    var parts = new RangeBatch[reader.Count(1)];
                    for (var i = 0; i < parts.Length; i++)
                    {
                        parts[i] = ReadPart(ref reader);
                    }

                    request = new DataPortRequest { Batches = parts, RingVersion = ringVersion };
                    break;
                }

            case Replication:
                {
                    var ringVersion = reader.Long();
                    var batches = new ReplicationBatch[reader.Count(1)];
                    for (var i = 0; i < batches.Length; i++)
                    {
                        batches[i] = ReadReplication(ref reader);
                    }

                    request = new DataPortRequest { Batches = [], RingVersion = ringVersion, Replication = batches };
                    break;
                }

            default:
                throw new FormatException("An unknown kind of request.");
        }

        reader.End();
        return request;
    }

    /// <summary>Reads an answer's payload.</summary>
    /// <exception cref="FormatException">The payload is not an answer in either format.</exception>
    public DataPortAnswer ReadAnswer(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty)
        {
            throw new FormatException("An empty payload.");
        }

        if (payload.Span[0] == Orleans)
        {
            return answers.Deserialize(payload[1..]) ?? throw new FormatException("A null answer.");
        }

        var reader = new Reader(payload.Span);
        CheckBinary(reader.Byte());
        DataPortAnswer answer;
        switch (reader.Byte())
        {
            case Results:
                {
                    var results = new RangeBatchResult[reader.Count(1)];
                    for (var i = 0; i < results.Length; i++)
                    {
                        var flags = reader.Byte();
                        if (flags > 3)
                        {
                            throw new FormatException("Unknown result flags.");
                        }

                        BatchReadResult? reads = null;
                        if ((flags & 1) != 0)
                        {
                            var status = reader.Status();
                            var count = reader.Count(1);
                            byte[]?[]? values = count == 0 ? null : new byte[]?[count - 1];
                            for (var v = 0; v < count - 1; v++)
                            {
                                values![v] = reader.NullableBytes();
                            }

                            reads = new BatchReadResult { Status = status, Values = values };
                        }

                        var writes = (flags & 2) != 0 ? reader.Status() switch
                        {
                            RangeStatus.Ok => WriteResult.Ok,
                            RangeStatus.NotFound => WriteResult.NotFound,
                            var other => new WriteResult { Status = other },
                        } : null;
                        results[i] = new RangeBatchResult { Reads = reads, Writes = writes };
                    }

                    answer = new DataPortAnswer { Results = results };
                    break;
                }

            case Acks:
                {
                    var acks = new ReplicationAnswer[reader.Count(17)];
                    for (var i = 0; i < acks.Length; i++)
                    {
                        var status = (ReplicaAckStatus)reader.Byte();
                        if (!Enum.IsDefined(status))
                        {
                            throw new FormatException("An unknown acknowledgement status.");
                        }

                        acks[i] = new ReplicationAnswer { Ack = new ReplicaAck { Status = status, AppliedSeq = reader.Long(), Epoch = reader.Long() } };
                    }

                    answer = new DataPortAnswer { Replicated = acks };
                    break;
                }

            default:
                throw new FormatException("An unknown kind of answer.");
        }

        reader.End();
        return answer;
    }

    /// <summary>Whether the binary layout holds all of <paramref name="request"/>.</summary>
    public static bool IsBinary(DataPortRequest request) =>
        request is { RingAfter: null, Ping: false, Overlord: null, OverlordTerm: 0 }
        && (request.Replication is { } batches
            ? request.Batches.Length == 0 && Array.TrueForAll(batches, b => b is { Range: null, Sessions.Length: 0 } && Enum.IsDefined(b.Kind))
            : Array.TrueForAll(request.Batches, b => b is { UpdateKeys.Length: 0, Updates.Length: 0, UpdateIds: null } && b.WriteKeys.Length == b.WriteValues.Length
                && Array.TrueForAll(b.WriteValues, v => v is not null) && Array.TrueForAll(b.ReadKeys, k => k is not null) && Array.TrueForAll(b.WriteKeys, k => k is not null)));

    /// <summary>Whether the binary layout holds all of <paramref name="answer"/>.</summary>
    public static bool IsBinary(DataPortAnswer answer) =>
        answer is { Error: null, Ring: null, Stall: null }
        && (answer.Replicated is { } acks
            ? answer.Results is null && Array.TrueForAll(acks, a => a is { Error: null, Ack: not null })
            : answer.Results is { } results && Array.TrueForAll(results, r => r is { ReadError: null, WriteError: null, Updates: null, UpdateErrors: null }
                && r.Reads is null or { Ring: null } && r.Writes is null or { Ring: null }));

    private static void CheckBinary(byte format)
    {
        if (format != Binary)
        {
            throw new FormatException($"Unknown payload format {format}.");
        }
    }

    private static void WritePart(ref Writer writer, RangeBatch part)
    {
        writer.String(part.GrainKey);
        writer.Strings(part.ReadKeys);
        writer.Strings(part.WriteKeys);
        writer.Count(part.WriteValues.Length);
        foreach (var value in part.WriteValues)
        {
            writer.NullableBytes(value);
        }

        if (part.WriteIds is { } ids)
        {
            writer.Byte(1);
            writer.Long(ids.ClientId);
            writer.Long(ids.Oldest);
            writer.Count(ids.Ids.Length);
            foreach (var id in ids.Ids)
            {
                writer.Long(id);
            }
        }
        else
        {
            writer.Byte(0);
        }
    }

    private static RangeBatch ReadPart(ref Reader reader)
    {
        var grainKey = reader.String();
        var readKeys = reader.Strings();
        var writeKeys = reader.Strings();
        var values = new byte[reader.Count(1)][];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.NullableBytes() ?? throw new FormatException("A write without a value.");
        }

        WriteIds? ids = null;
        switch (reader.Byte())
        {
            case 0:
                break;
            case 1:
                var clientId = reader.Long();
                var oldest = reader.Long();
                var list = new long[reader.Count(8)];
                for (var i = 0; i < list.Length; i++)
                {
                    list[i] = reader.Long();
                }

                ids = new WriteIds { ClientId = clientId, Oldest = oldest, Ids = list };
                break;
            default:
                throw new FormatException("Unknown write ids flag.");
        }

        return new RangeBatch { GrainKey = grainKey, ReadKeys = readKeys, WriteKeys = writeKeys, WriteValues = values, WriteIds = ids };
    }

    private static void WriteReplication(ref Writer writer, ReplicationBatch batch)
    {
        writer.Int(batch.RangeId);
        writer.Long(batch.Epoch);
        writer.Byte((byte)batch.Kind);
        writer.Long(batch.FirstSeq);
        writer.Long(batch.LineageEpoch);
        writer.Long(batch.KeptFrom);
        writer.Count(batch.Ops.Length);
        foreach (var op in batch.Ops)
        {
            writer.String(op.Key);
            writer.NullableBytes(op.Value);
            writer.Long(op.ClientId);
            writer.Long(op.WriteId);
            writer.Long(op.Oldest);
            writer.Byte(op.KeepsValue ? (byte)1 : (byte)0);
        }
    }

    private static ReplicationBatch ReadReplication(ref Reader reader)
    {
        var rangeId = reader.Int();
        var epoch = reader.Long();
        var kind = (ReplicationBatchKind)reader.Byte();
        if (!Enum.IsDefined(kind))
        {
            throw new FormatException("An unknown replication batch kind.");
        }

        var firstSeq = reader.Long();
        var lineageEpoch = reader.Long();
        var keptFrom = reader.Long();
        var ops = new ReplicationOp[reader.Count(26)];
        for (var i = 0; i < ops.Length; i++)
        {
            var key = reader.String();
            var value = reader.NullableBytes();
            var clientId = reader.Long();
            var writeId = reader.Long();
            var oldest = reader.Long();
            var keepsValue = reader.Byte() switch
            {
                0 => false,
                1 => true,
                _ => throw new FormatException("A flag that is neither 0 nor 1."),
            };
            ops[i] = new ReplicationOp { Key = key, Value = value, ClientId = clientId, WriteId = writeId, Oldest = oldest, KeepsValue = keepsValue };
        }

        return new ReplicationBatch
        {
            RangeId = rangeId,
            Epoch = epoch,
            Kind = kind,
            FirstSeq = firstSeq,
            LineageEpoch = lineageEpoch,
            KeptFrom = keptFrom,
            Ops = ops,
        };
    }

    /// <summary>Writes the binary layout into an <see cref="IBufferWriter{T}"/>.</summary>
    private readonly ref struct Writer(IBufferWriter<byte> output)
    {
        public void Byte(byte value)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
        }

        public void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
            output.Advance(4);
        }

        public void Long(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
            output.Advance(8);
        }

        public void Count(int value) => output.Advance(VarInt.Write(output.GetSpan(VarInt.MaxBytes), value));

        public void String(string value)
        {
            // As Orleans' serializer and KeyHash encode: a lone surrogate becomes U+FFFD.
            var length = Encoding.UTF8.GetByteCount(value);
            Count(length);
            var written = Encoding.UTF8.GetBytes(value, output.GetSpan(length));
            output.Advance(written);
        }

        public void Strings(string[] values)
        {
            Count(values.Length);
            foreach (var value in values)
            {
                String(value);
            }
        }

        public void NullableBytes(byte[]? value)
        {
            if (value is null)
            {
                Count(0);
                return;
            }

            Count(value.Length + 1);
            value.CopyTo(output.GetSpan(value.Length));
            output.Advance(value.Length);
        }
    }

    /// <summary>Reads the binary layout, checking every length against the bytes left.</summary>
    private ref struct Reader(ReadOnlySpan<byte> payload)
    {
        private readonly ReadOnlySpan<byte> _payload = payload;
        private int _at;

        public byte Byte()
        {
            Need(1);
            return _payload[_at++];
        }

        public int Int()
        {
            Need(4);
            var value = BinaryPrimitives.ReadInt32LittleEndian(_payload[_at..]);
            _at += 4;
            return value;
        }

        public long Long()
        {
            Need(8);
            var value = BinaryPrimitives.ReadInt64LittleEndian(_payload[_at..]);
            _at += 8;
            return value;
        }

        /// <summary>A count of elements that take at least <paramref name="minBytes"/> each (or a length when 1): never more than the bytes left allow.</summary>
        public int Count(int minBytes)
        {
            uint value = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (shift > 28)
                {
                    throw new FormatException("A count over five bytes.");
                }

                var b = Byte();
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            if (value > int.MaxValue || (long)value * minBytes > _payload.Length - _at + minBytes)
            {
                throw new FormatException($"A count of {value} past the payload's end.");
            }

            return (int)value;
        }

        public string String()
        {
            var length = Count(1);
            Need(length);
            try
            {
                var value = Utf8.GetString(_payload.Slice(_at, length));
                _at += length;
                return value;
            }
            catch (ArgumentException ex)
            {
                throw new FormatException("A string that is not UTF-8.", ex);
            }
        }

        public string[] Strings()
        {
            var values = new string[Count(1)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = String();
            }

            return values;
        }

        public byte[]? NullableBytes()
        {
            var length = Count(1);
            if (length == 0)
            {
                return null;
            }

            Need(length - 1);
            var value = _payload.Slice(_at, length - 1).ToArray();
            _at += length - 1;
            return value;
        }

        public RangeStatus Status()
        {
            var status = (RangeStatus)Byte();
            return Enum.IsDefined(status) ? status : throw new FormatException("An unknown range status.");
        }

        public readonly void End()
        {
            if (_at != _payload.Length)
            {
                throw new FormatException($"{_payload.Length - _at} bytes after the payload's end.");
            }
        }

        private readonly void Need(int bytes)
        {
            if (bytes > _payload.Length - _at)
            {
                throw new FormatException("A payload cut short.");
            }
        }
    }
}
