namespace DiMint.ZooKeeper.Server;

/// <summary>
/// Finds the ZooKeeper server installed by Debian's <c>zookeeper</c> package (3.8): <c>/usr/share/java/zookeeper.jar</c>
/// (its manifest Class-Path brings netty, jute, slf4j-api and the rest) plus <c>slf4j-simple.jar</c> from
/// <c>libslf4j-java</c> for logging. <c>DIMINT_ZOOKEEPER_CLASSPATH</c> overrides the classpath and <c>JAVA_HOME</c> the JVM.
/// </summary>
public static class ZooKeeperInstallation
{
    /// <summary>The environment variable that overrides the server classpath.</summary>
    public const string ClasspathVariable = "DIMINT_ZOOKEEPER_CLASSPATH";

    /// <summary>The main class of a ZooKeeper server.</summary>
    public const string MainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

    private static readonly string[] DefaultJars = ["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar"];

    /// <summary>The classpath of the server, or null when ZooKeeper is not installed.</summary>
    public static string? FindClasspath()
    {
        var configured = Environment.GetEnvironmentVariable(ClasspathVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        return File.Exists(DefaultJars[0]) ? string.Join(':', DefaultJars.Where(File.Exists)) : null;
    }

    /// <summary>The java executable: <c>$JAVA_HOME/bin/java</c> when set, else <c>java</c> from PATH.</summary>
    public static string FindJava()
    {
        var javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
        if (!string.IsNullOrWhiteSpace(javaHome))
        {
            var candidate = Path.Combine(javaHome, "bin", "java");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "java";
    }

    /// <summary>The classpath, or an exception telling how to install ZooKeeper.</summary>
    public static string RequireClasspath() =>
        FindClasspath() ?? throw new InvalidOperationException(
            "ZooKeeper is not installed: run 'apt-get install -y zookeeper' (Debian's ZooKeeper 3.8, which puts "
            + $"{DefaultJars[0]} in place) or set {ClasspathVariable}.");
}
