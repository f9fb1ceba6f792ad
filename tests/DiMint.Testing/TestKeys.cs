using System.Runtime.CompilerServices;

namespace DiMint.Testing;

/// <summary>Keys unique to the calling test, so tests sharing a cluster never collide.</summary>
public static class TestKeys
{
    public static string Prefix([CallerMemberName] string test = "") => $"{test}:";

    public static string Key(string suffix, [CallerMemberName] string test = "") => $"{test}:{suffix}";
}
