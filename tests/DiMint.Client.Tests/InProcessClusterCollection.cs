using DiMint.Testing.Cluster;

namespace DiMint.Client.Tests;

[CollectionDefinition(Name)]
public sealed class InProcessClusterCollection : ICollectionFixture<InProcessClusterFixture>
{
    public const string Name = "In-process cluster";
}
