using System.Globalization;
using System.Text;
using System.Text.Json;
using Orleans;
using Orleans.Runtime;

namespace DiMint.ZooKeeper.Clustering;

/// <summary>
/// The stored form of a <see cref="MembershipEntry"/> (JSON, UTF-8). The IAmAlive time lives in its own child node
/// so that heartbeats never touch the row's version. Property names are part of the stored format: do not rename.
/// </summary>
internal sealed class MembershipRow
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string SiloAddress { get; set; } = string.Empty;

    public int Status { get; set; }

    public List<SuspectRecord>? SuspectTimes { get; set; }

    public int ProxyPort { get; set; }

    public string? HostName { get; set; }

    public string? SiloName { get; set; }

    public string? RoleName { get; set; }

    public int UpdateZone { get; set; }

    public int FaultZone { get; set; }

    public DateTime StartTime { get; set; }

    public static byte[] Serialize(MembershipEntry entry)
    {
        var row = new MembershipRow
        {
            SiloAddress = entry.SiloAddress.ToParsableString(),
            Status = (int)entry.Status,
            SuspectTimes = entry.SuspectTimes?.Select(s => new SuspectRecord(s.Item1.ToParsableString(), s.Item2)).ToList(),
            ProxyPort = entry.ProxyPort,
            HostName = entry.HostName,
            SiloName = entry.SiloName,
            RoleName = entry.RoleName,
            UpdateZone = entry.UpdateZone,
            FaultZone = entry.FaultZone,
            StartTime = entry.StartTime,
        };
        return JsonSerializer.SerializeToUtf8Bytes(row, JsonOptions);
    }

    public static MembershipEntry Deserialize(byte[] rowData, byte[] iAmAliveData)
    {
        var row = JsonSerializer.Deserialize<MembershipRow>(rowData, JsonOptions)
            ?? throw new InvalidOperationException("An empty membership row was found in ZooKeeper.");
        return new MembershipEntry
        {
            SiloAddress = Orleans.Runtime.SiloAddress.FromParsableString(row.SiloAddress),
            Status = (SiloStatus)row.Status,
            SuspectTimes = row.SuspectTimes?.Select(s => Tuple.Create(Orleans.Runtime.SiloAddress.FromParsableString(s.Silo), s.Time)).ToList(),
            ProxyPort = row.ProxyPort,
            HostName = row.HostName ?? string.Empty,
            SiloName = row.SiloName ?? string.Empty,
            RoleName = row.RoleName ?? string.Empty,
            UpdateZone = row.UpdateZone,
            FaultZone = row.FaultZone,
            StartTime = row.StartTime,
            IAmAliveTime = DeserializeIAmAlive(iAmAliveData),
        };
    }

    public static byte[] SerializeIAmAlive(DateTime time) =>
        Encoding.UTF8.GetBytes(time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));

    private static DateTime DeserializeIAmAlive(byte[] data) =>
        data.Length == 0
            ? default
            : DateTime.Parse(Encoding.UTF8.GetString(data), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();

    /// <summary>One suspicion: who suspected the silo, and when.</summary>
    internal sealed record SuspectRecord(string Silo, DateTime Time);
}
