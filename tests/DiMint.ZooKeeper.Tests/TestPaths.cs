using System.Runtime.CompilerServices;

namespace DiMint.ZooKeeper.Tests;

/// <summary>Unique paths per test so tests never collide on a shared server.</summary>
internal static class TestPaths
{
    public static string Unique([CallerMemberName] string testName = "") =>
        $"/t-{testName}-{Guid.NewGuid().ToString("N")[..8]}";
}
