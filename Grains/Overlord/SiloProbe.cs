using Orleans.Runtime.Messaging;

namespace DiMint.Grains.Overlord;

/// <summary>
/// The overlord's health probe of one silo. It goes on the silo's data port when a connection is open
/// (<see cref="DataPortRequest.Ping"/>, answered on the connection's thread), else, and when that connection fails, as an
/// Orleans call to the silo's agent (<see cref="ISiloAgentGrain.PingAsync"/>). Its task completes where the answer
/// arrives, not on the overlord's grain: a round of probes costs the overlord one turn for all the prompt answers.
/// </summary>
internal static class SiloProbe
{
    /// <summary>
    /// Probes once, from the overlord on <paramref name="overlord"/> at lease term <paramref name="term"/> (either way, the
    /// probe tells the silo where the overlord is); the answer carries the silo's recent longest stall and when it arrived.
    /// </summary>
    public static async Task<Answer> SendAsync(DataPortConnection? connection, ISiloAgentGrain agent, SiloAddress overlord, long term, TimeProvider time)
    {
        if (connection is not null)
        {
            try
            {
                return new Answer(await connection.PingAsync(overlord, term).ConfigureAwait(false), time.GetTimestamp());
            }
            catch (ConnectionFailedException)
            {
                // The connection closed (the silo's process may be gone: the overlord's port check tells): ask through Orleans.
            }
        }

        return new Answer(await agent.PingAsync(overlord, term).ConfigureAwait(false), time.GetTimestamp());
    }

    /// <summary>A silo's answer: the longest its process was lately kept from running, and when the answer came (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public readonly record struct Answer(TimeSpan Stall, long ReceivedAt);
}
