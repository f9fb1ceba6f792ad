using System.Buffers;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace DiMint.Tests.Net;

/// <summary>
/// The data port's payloads: what the port carries all the time travels in DiMint's binary layout and comes back equal;
/// anything else travels in Orleans' format and comes back equal too; and no truncated, mutated or random payload
/// decodes to anything but a request or answer, or a <see cref="FormatException"/> (never another exception, never an
/// allocation the payload's size does not pay for).
/// </summary>
public sealed class DataPortCodecTests
{
    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(s => s.AddAssembly(typeof(DataPortRequest).Assembly))
        .BuildServiceProvider();

    private static readonly DataPortCodec Codec = new(Services.GetRequiredService<Serializer<DataPortRequest>>(), Services.GetRequiredService<Serializer<DataPortAnswer>>());

    private static readonly SiloAddress Silo = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);

    [Fact]
    public void AClientBatch_TravelsBinary_AndComesBackEqual()
    {
        var request = ClientBatch();

        var payload = Payload(request);
        var back = Codec.ReadRequest(payload);

        Assert.Equal(DataPortCodec.Binary, payload[0]);
        Assert.Equal(request.RingVersion, back.RingVersion);
        Assert.Equal(request.Batches.Length, back.Batches.Length);
        for (var i = 0; i < request.Batches.Length; i++)
        {
            var (sent, got) = (request.Batches[i], back.Batches[i]);
            Assert.Equal(sent.GrainKey, got.GrainKey);
            Assert.Equal(sent.ReadKeys, got.ReadKeys);
            Assert.Equal(sent.WriteKeys, got.WriteKeys);
            Assert.Equal(sent.WriteValues, got.WriteValues);
            Assert.Equal(sent.WriteIds?.ClientId, got.WriteIds?.ClientId);
            Assert.Equal(sent.WriteIds?.Oldest, got.WriteIds?.Oldest);
            Assert.Equal(sent.WriteIds?.Ids, got.WriteIds?.Ids);
        }
    }

    [Fact]
    public void ReplicationBatches_TravelBinary_AndComeBackEqual()
    {
        var request = Replication();

        var payload = Payload(request);
        var back = Codec.ReadRequest(payload);

        Assert.Equal(DataPortCodec.Binary, payload[0]);
        Assert.Empty(back.Batches);
        var (sent, got) = (request.Replication![0], back.Replication![0]);
        Assert.Equal((sent.RangeId, sent.Epoch, sent.Kind, sent.FirstSeq, sent.LineageEpoch, sent.KeptFrom), (got.RangeId, got.Epoch, got.Kind, got.FirstSeq, got.LineageEpoch, got.KeptFrom));
        Assert.Equal(sent.Ops.Length, got.Ops.Length);
        for (var i = 0; i < sent.Ops.Length; i++)
        {
            Assert.Equal(sent.Ops[i].Key, got.Ops[i].Key);
            Assert.Equal(sent.Ops[i].Value, got.Ops[i].Value);
            Assert.Equal((sent.Ops[i].ClientId, sent.Ops[i].WriteId, sent.Ops[i].Oldest, sent.Ops[i].KeepsValue), (got.Ops[i].ClientId, got.Ops[i].WriteId, got.Ops[i].Oldest, got.Ops[i].KeepsValue));
        }
    }

    [Fact]
    public void AnswersOfReadsWritesAndAcknowledgements_TravelBinary_AndComeBackEqual()
    {
        var results = Results();
        var acks = new DataPortAnswer
        {
            Replicated = [new ReplicationAnswer { Ack = new ReplicaAck { Status = ReplicaAckStatus.NeedSnapshot, AppliedSeq = 41, Epoch = 3 } }],
        };

        var resultsPayload = Payload(results);
        var acksPayload = Payload(acks);
        var resultsBack = Codec.ReadAnswer(resultsPayload);
        var acksBack = Codec.ReadAnswer(acksPayload);

        Assert.Equal(DataPortCodec.Binary, resultsPayload[0]);
        Assert.Equal(DataPortCodec.Binary, acksPayload[0]);
        Assert.Equal(RangeStatus.Ok, resultsBack.Results![0].Reads!.Status);
        Assert.Equal(results.Results![0].Reads!.Values, resultsBack.Results[0].Reads!.Values);
        Assert.Equal(RangeStatus.NotFound, resultsBack.Results[0].Writes!.Status);
        Assert.Null(resultsBack.Results[1].Reads);
        Assert.Equal(RangeStatus.Ok, resultsBack.Results[1].Writes!.Status);
        Assert.Null(resultsBack.Results[2].Reads!.Values);
        Assert.Equal(acks.Replicated[0].Ack, acksBack.Replicated![0].Ack);
    }

    [Fact]
    public void EverythingElse_TravelsInOrleansFormat_AndComesBackEqual()
    {
        var range = new RangeInfo { Id = 4, Start = 0, End = 0, Master = Silo, Epoch = 2 };
        DataPortRequest[] requests =
        [
            new() { Batches = [], Ping = true, Overlord = Silo, OverlordTerm = 3 },
            new() { Batches = [], RingAfter = 12 },
            new() { Batches = [new RangeBatch { GrainKey = "1/1/x", UpdateKeys = ["k"], Updates = [new KeyUpdate { Kind = KeyUpdateKind.Increment, Delta = 2 }] }] },
            new() { Batches = [], Replication = [new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.Ops, FirstSeq = 1 }] },
        ];
        DataPortAnswer[] answers =
        [
            new() { Error = new InvalidKeyException("no") },
            new() { Stall = TimeSpan.FromMilliseconds(12) },
            new() { Results = [new RangeBatchResult { WriteError = new RangeUnavailableException(4, "fenced") }] },
            new() { Results = [new RangeBatchResult { Writes = new WriteResult { Status = RangeStatus.Moved, Ring = new RingUpdate { Version = 9 } } }] },
        ];

        foreach (var request in requests)
        {
            var payload = Payload(request);
            Assert.Equal(DataPortCodec.Orleans, payload[0]);
            var back = Codec.ReadRequest(payload);
            Assert.Equal((request.Ping, request.Overlord, request.OverlordTerm, request.RingAfter), (back.Ping, back.Overlord, back.OverlordTerm, back.RingAfter));
            Assert.Equal(request.Batches.SelectMany(b => b.UpdateKeys), back.Batches.SelectMany(b => b.UpdateKeys));
            Assert.Equal(request.Batches.SelectMany(b => b.Updates), back.Batches.SelectMany(b => b.Updates));
        }

        foreach (var answer in answers)
        {
            var payload = Payload(answer);
            Assert.Equal(DataPortCodec.Orleans, payload[0]);
            var back = Codec.ReadAnswer(payload);
            Assert.Equal(answer.Stall, back.Stall);
            Assert.Equal(answer.Error?.Message, back.Error?.Message);
            Assert.Equal(answer.Results?[0].WriteError?.Message, back.Results?[0].WriteError?.Message);
            Assert.Equal(answer.Results?[0].Writes?.Ring?.Version, back.Results?[0].Writes?.Ring?.Version);
        }

        Assert.Equal(range.Id, Codec.ReadRequest(Payload(requests[3])).Replication![0].Range!.Id);
    }

    [Fact]
    public void EveryTruncation_OfABinaryPayload_IsAFormatException()
    {
        foreach (var payload in new[] { Payload(ClientBatch()), Payload(Replication()) })
        {
            for (var length = 0; length < payload.Length; length++)
            {
                Assert.Throws<FormatException>(() => Codec.ReadRequest(payload.AsMemory(0, length)));
            }
        }

        foreach (var payload in new[] { Payload(Results()) })
        {
            for (var length = 0; length < payload.Length; length++)
            {
                Assert.Throws<FormatException>(() => Codec.ReadAnswer(payload.AsMemory(0, length)));
            }
        }
    }

    [Fact]
    public void MutatedAndRandomPayloads_DecodeOrAreFormatExceptions()
    {
        var random = new Random(11);
        byte[][] valid = [Payload(ClientBatch()), Payload(Replication()), Payload(Results())];
        for (var round = 0; round < 20_000; round++)
        {
            byte[] payload;
            if (round % 4 == 0)
            {
                // Noise in the binary layout.
                payload = new byte[random.Next(1, 200)];
                random.NextBytes(payload);
                payload[0] = DataPortCodec.Binary;
            }
            else
            {
                payload = (byte[])valid[random.Next(valid.Length)].Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    payload[random.Next(1, payload.Length)] = (byte)random.Next(256);
                }
            }

            AssertDecodesOrRefuses(() => Codec.ReadRequest(payload));
            AssertDecodesOrRefuses(() => Codec.ReadAnswer(payload));
        }

        // A count that claims more elements than the payload could hold is refused before anything is allocated for it.
        Assert.Throws<FormatException>(() => Codec.ReadRequest(new byte[] { DataPortCodec.Binary, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }));
        Assert.Throws<FormatException>(() => Codec.ReadRequest(new byte[] { 7, 1, 2, 3 }));
        Assert.Throws<FormatException>(() => Codec.ReadAnswer(Array.Empty<byte>()));
    }

    private static void AssertDecodesOrRefuses(Action decode)
    {
        try
        {
            decode();
        }
        catch (FormatException)
        {
            // Refused, as it should be.
        }
    }

    private static DataPortRequest ClientBatch() => new()
    {
        RingVersion = 17,
        Batches =
        [
            new RangeBatch
            {
                GrainKey = "3/2/S127.0.0.1:11111:1",
                ReadKeys = ["a", "ключ", ""],
                WriteKeys = ["w1", "w2"],
                WriteValues = [[1, 2, 3], []],
                WriteIds = new WriteIds { ClientId = -5, Oldest = 7, Ids = [8, 9] },
            },
            new RangeBatch { GrainKey = "4/1/S127.0.0.1:11111:1", ReadKeys = ["b"] },
        ],
    };

    private static DataPortRequest Replication() => new()
    {
        Batches = [],
        Replication =
        [
            new ReplicationBatch
            {
                RangeId = 6,
                Epoch = 4,
                Kind = ReplicationBatchKind.Ops,
                FirstSeq = 100,
                LineageEpoch = 3,
                KeptFrom = 90,
                Ops =
                [
                    new ReplicationOp { Key = "k1", Value = [5, 6], ClientId = 1, WriteId = 2, Oldest = 1, KeepsValue = true },
                    new ReplicationOp { Key = "k2", Value = null },
                ],
            },
        ],
    };

    private static DataPortAnswer Results() => new()
    {
        Results =
        [
            new RangeBatchResult { Reads = new BatchReadResult { Status = RangeStatus.Ok, Values = [[1], null, []] }, Writes = WriteResult.NotFound },
            new RangeBatchResult { Writes = WriteResult.Ok },
            new RangeBatchResult { Reads = new BatchReadResult { Status = RangeStatus.NotFound } },
        ],
    };

    private static byte[] Payload(DataPortRequest request)
    {
        var output = new ArrayBufferWriter<byte>();
        Codec.Write(request, output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Payload(DataPortAnswer answer)
    {
        var output = new ArrayBufferWriter<byte>();
        Codec.Write(answer, output);
        return output.WrittenSpan.ToArray();
    }
}
