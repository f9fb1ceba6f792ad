using DiMint.Grains.Replication;

namespace DiMint.Grains.Tests.Replication;

/// <summary>A retried write is recognised by its id, on the master and on every copy that applied it, until its client settled it.</summary>
[Trait("Category", "Unit")]
public sealed class ClientSessionsTests
{
    private const long Frequency = 1_000;

    [Fact]
    public void Record_ThenTheSameWriteAgain_IsKnownWithItsSequenceNumber()
    {
        var sessions = new ClientSessions();
        sessions.Record(clientId: 7, oldest: 1, writeId: 3, seq: 42, now: 0, Frequency);

        Assert.True(sessions.TryGetApplied(7, 3, out var seq));
        Assert.Equal(42, seq);
        Assert.False(sessions.TryGetApplied(7, 4, out _));
        Assert.False(sessions.TryGetApplied(8, 3, out _));
    }

    [Fact]
    public void ValueOfAWriteAnsweredWithIt_IsKept_ThroughASnapshot_UntilTheClientSettlesIt()
    {
        var sessions = new ClientSessions();
        sessions.Record(7, oldest: 1, writeId: 1, seq: 10, now: 0, Frequency, value: [1, 2]);
        sessions.Record(7, oldest: 1, writeId: 2, seq: 11, now: 0, Frequency);

        var copy = new ClientSessions();
        copy.Restore(sessions.Snapshot(maxSeq: 11), now: 0);
        Assert.True(copy.TryGetValue(7, 1, out var value));
        Assert.Equal([1, 2], value);
        Assert.False(copy.TryGetValue(7, 2, out _));

        copy.Record(7, oldest: 2, writeId: 3, seq: 12, now: 0, Frequency);
        Assert.False(copy.TryGetValue(7, 1, out _));
    }

    [Fact]
    public void Record_WithANewerOldestWriteInFlight_ForgetsTheSettledOnes()
    {
        var sessions = new ClientSessions();
        sessions.Record(7, oldest: 1, writeId: 1, seq: 10, now: 0, Frequency);
        sessions.Record(7, oldest: 1, writeId: 2, seq: 11, now: 0, Frequency);

        sessions.Record(7, oldest: 2, writeId: 3, seq: 12, now: 0, Frequency);

        Assert.False(sessions.TryGetApplied(7, 1, out _));
        Assert.True(sessions.TryGetApplied(7, 2, out _));
    }

    [Fact]
    public void IsBehind_AWriteTheClientMovedPast_EvenOnceItsIdIsForgotten_ButNotOneInFlight()
    {
        var sessions = new ClientSessions();
        sessions.Record(7, oldest: 1, writeId: 1, seq: 10, now: 0, Frequency);
        sessions.Record(7, oldest: 1, writeId: 2, seq: 11, now: 0, Frequency);
        sessions.Record(7, oldest: 3, writeId: 3, seq: 12, now: 0, Frequency);

        // Write 1 was applied and its id dropped; write 2 the client gave up on: a late copy of either must not apply.
        Assert.False(sessions.TryGetApplied(7, 1, out _));
        Assert.True(sessions.IsBehind(7, 1));
        Assert.True(sessions.IsBehind(7, 2));
        Assert.False(sessions.IsBehind(7, 3));
        Assert.False(sessions.IsBehind(7, 4));
        Assert.False(sessions.IsBehind(8, 1));
    }

    [Fact]
    public void Snapshot_CarriesOnlyWritesUpToItsSequenceNumber_AndRestoreTakesThem()
    {
        var sessions = new ClientSessions();
        sessions.Record(7, 1, writeId: 1, seq: 10, now: 0, Frequency);
        sessions.Record(7, 1, writeId: 2, seq: 20, now: 0, Frequency);
        var copy = new ClientSessions();

        copy.Restore(sessions.Snapshot(maxSeq: 15), now: 0);

        Assert.True(copy.TryGetApplied(7, 1, out var seq) && seq == 10);
        Assert.False(copy.TryGetApplied(7, 2, out _));
    }

    [Fact]
    public void Record_ForgetsAClientSilentForTheIdleExpiry()
    {
        var sessions = new ClientSessions();
        sessions.Record(7, 1, writeId: 1, seq: 10, now: 0, Frequency);
        var later = (long)(ClientSessions.IdleExpiry.TotalSeconds * Frequency) + 1;

        sessions.Record(8, 1, writeId: 1, seq: 11, now: later, Frequency);

        Assert.False(sessions.TryGetApplied(7, 1, out _));
        Assert.True(sessions.TryGetApplied(8, 1, out _));
    }
}
