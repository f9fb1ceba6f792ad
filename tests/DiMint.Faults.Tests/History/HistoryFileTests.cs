using DiMint.Faults.History;

namespace DiMint.Faults.Tests.History;

/// <summary>Histories written as JSON lines by client processes and read back by the checker.</summary>
[Trait("Category", "Unit")]
public sealed class HistoryFileTests : IDisposable
{
    private static readonly Operation[] Sample =
    [
        new(1, "k1", OperationKind.Write, "v1", 100, 200, OperationOutcome.Ok),
        new(2, "k1", OperationKind.Read, null, 150, 250, OperationOutcome.Ok),
        new(3, "k \"quoted\"\n", OperationKind.Write, "v\u00e9", 300, 0, OperationOutcome.Unknown),
        new(4, "k2", OperationKind.Read, null, 400, 401, OperationOutcome.Failed),
        new(5, "k2", OperationKind.Read, "v1", long.MaxValue - 1, long.MaxValue, OperationOutcome.Ok),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("dimint-history-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Append_ThenRead_RoundTripsEveryField()
    {
        var path = WriteFile("p.jsonl", Sample);

        var read = HistoryFile.Read(path);

        Assert.Equal(Sample, read);
        Assert.Equal(Sample.Length, File.ReadAllText(path).Count(c => c == '\n'));
    }

    [Fact]
    public void Read_TruncatedLastLine_IsSkipped()
    {
        var path = WriteFile("p.jsonl", Sample[..3]);
        var line = LineOf(Sample[3]);
        File.AppendAllText(path, line[..(line.Length / 2)]);

        var read = HistoryFile.Read(path);

        Assert.Equal(Sample[..3], read);
    }

    [Fact]
    public void Read_LastLineCompleteButUnterminated_IsKept()
    {
        var path = WriteFile("p.jsonl", Sample[..2]);
        File.AppendAllText(path, LineOf(Sample[2]).TrimEnd('\n'));

        var read = HistoryFile.Read(path);

        Assert.Equal(Sample[..3], read);
    }

    [Fact]
    public void Read_CorruptLineInTheMiddle_ThrowsWithItsLineNumber()
    {
        var path = Path.Combine(_directory, "p.jsonl");
        File.WriteAllText(path, LineOf(Sample[0]) + "{\"process\":1,\"key\":\n" + LineOf(Sample[1]));

        var error = Assert.Throws<InvalidDataException>(() => HistoryFile.Read(path));

        Assert.Contains("p.jsonl:2:", error.Message);
    }

    [Fact]
    public void Read_LineMissingAField_Throws()
    {
        var path = Path.Combine(_directory, "p.jsonl");
        File.WriteAllText(path, "{\"process\":1,\"key\":\"k\",\"kind\":\"write\",\"value\":\"v\",\"invokedAt\":1,\"outcome\":\"ok\"}\n");

        Assert.Throws<InvalidDataException>(() => HistoryFile.Read(path));
    }

    [Fact]
    public void ReadAll_ConcatenatesFilesInOrder()
    {
        var first = WriteFile("p1.jsonl", Sample[..2]);
        var second = WriteFile("p2.jsonl", Sample[2..]);

        var read = HistoryFile.ReadAll([first, second]);

        Assert.Equal(Sample, read);
    }

    private string WriteFile(string name, IEnumerable<Operation> operations)
    {
        var path = Path.Combine(_directory, name);
        using var writer = new StreamWriter(path);
        foreach (var operation in operations)
        {
            HistoryFile.Append(writer, operation);
        }

        return path;
    }

    private static string LineOf(Operation operation)
    {
        using var writer = new StringWriter();
        HistoryFile.Append(writer, operation);
        return writer.ToString();
    }
}
