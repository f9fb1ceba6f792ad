using DiMint.Testing;
using DiMint.ZooKeeper.Hosting;

namespace DiMint.ZooKeeper.Tests;

/// <summary>Expires a provider's ZooKeeper session from outside, as the server does to a session it closed.</summary>
internal static class SessionExpiry
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Cuts the connection of the provider's session, resumes the session from another client and closes it there, then
    /// lets the provider's client reconnect and waits until it reports the session expired. Returns the expired session's id.
    /// </summary>
    public static async Task<long> ExpireAsync(ZooKeeperSessionHolder session, string connectionString)
    {
        var client = session.Current ?? throw new InvalidOperationException("The provider has not opened a session yet.");

        // Held, the client cannot take its session back before the other client closed it.
        client.HoldReconnects();
        client.DropConnection();
        await Wait.UntilAsync(() => client.State == ZooKeeperState.Disconnected, Deadline, "the provider's client to see its connection dropped", Poll);
        await using (var closer = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = connectionString,
            SessionId = client.SessionId,
            SessionPassword = client.GetSessionPassword(),
        }))
        {
            await closer.CloseAsync();
        }

        client.ReleaseReconnects();
        await Wait.UntilAsync(() => client.State == ZooKeeperState.Expired, Deadline, "the provider's client to see its session expired", Poll);
        return client.SessionId;
    }
}
