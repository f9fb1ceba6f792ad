namespace DiMint.Faults.Schedules;

/// <summary>
/// One fault schedule: the faults it injects while the load runs (at least 20 s of it), healed at the end. The runner
/// (<see cref="ScheduleRunner"/>) starts the load before and checks the history after.
/// </summary>
/// <param name="Name">A short name (<c>minority-master-replica</c>), also the key prefix of its load.</param>
/// <param name="Description">What it does, for the report.</param>
/// <param name="InjectAsync">The faults; the runner heals whatever is left cut, paused or killed afterwards.</param>
public sealed record Schedule(string Name, string Description, Func<FaultContext, Task> InjectAsync)
{
    public override string ToString() => Name;
}
