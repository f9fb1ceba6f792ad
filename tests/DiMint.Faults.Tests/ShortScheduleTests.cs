using DiMint.Faults.Schedules;
using DiMint.Faults.Workload;
using Xunit.Abstractions;

namespace DiMint.Faults.Tests;

/// <summary>
/// The fault harness's short set, as CI runs it: each schedule partitions, pauses or kills silos of a real multi-host
/// cluster under load, heals, and checks the clients' histories. A user would check exactly this: nothing acknowledged is
/// missing afterwards, no read saw the past, and the cluster is whole again. The long set is <c>tests/faults.sh</c>.
/// </summary>
[Trait("Category", "Faults")]
public sealed class ShortScheduleTests(FaultClusterFixture fixture, ITestOutputHelper output) : IClassFixture<FaultClusterFixture>
{
    public static TheoryData<string> ShortSet => [.. Schedules.Schedules.Short.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(ShortSet))]
    public async Task Schedule_LosesNoAcknowledgedWrite_AndEveryKeyStaysLinearizable(string name)
    {
        var schedule = Schedules.Schedules.Short.Single(s => s.Name == name);

        var result = await ScheduleRunner.RunAsync(fixture.Cluster, schedule, new WorkloadSettings(), seed: 1, output.WriteLine);

        output.WriteLine(ScheduleResult.Header);
        output.WriteLine(result.ToString());
        Assert.True(result.AcknowledgedWrites > 1000, $"the load got only {result.AcknowledgedWrites} writes acknowledged");
        Assert.Null(result.Error);
        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.Violations);
        Assert.Equal(0, result.Undecided);
    }
}
