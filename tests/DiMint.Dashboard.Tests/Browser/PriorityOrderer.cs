using Xunit.Abstractions;
using Xunit.Sdk;

namespace DiMint.Dashboard.Tests.Browser;

/// <summary>Orders test cases by <see cref="TestPriorityAttribute"/> (default 0), then by name.</summary>
public sealed class PriorityOrderer : ITestCaseOrderer
{
    public const string TypeName = "DiMint.Dashboard.Tests.Browser.PriorityOrderer";
    public const string AssemblyName = "DiMint.Dashboard.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases
            .OrderBy(t => t.TestMethod.Method.GetCustomAttributes(typeof(TestPriorityAttribute).AssemblyQualifiedName)
                .Select(a => a.GetNamedArgument<int>(nameof(TestPriorityAttribute.Priority)))
                .FirstOrDefault())
            .ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
