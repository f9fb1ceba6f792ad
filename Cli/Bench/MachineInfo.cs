using System.Runtime.InteropServices;

namespace DiMint.Cli.Bench;

/// <summary>Where a benchmark ran, so results from different machines are not compared by mistake.</summary>
internal sealed record MachineInfo(string Host, int ProcessorCount, string? Cpu, string Os, string Architecture, string Dotnet)
{
    public static MachineInfo Current() => new(
        Environment.MachineName,
        Environment.ProcessorCount,
        CpuModel(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.OSArchitecture.ToString(),
        RuntimeInformation.FrameworkDescription);

    private static string? CpuModel()
    {
        try
        {
            // Linux only; elsewhere the processor count has to do.
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo")
                    .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?
                    .Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
