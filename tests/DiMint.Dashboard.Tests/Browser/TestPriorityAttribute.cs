namespace DiMint.Dashboard.Tests.Browser;

/// <summary>Runs tests of a class in ascending priority (see <see cref="PriorityOrderer"/>); for tests that end the shared cluster's health.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TestPriorityAttribute(int priority) : Attribute
{
    public int Priority { get; } = priority;
}
