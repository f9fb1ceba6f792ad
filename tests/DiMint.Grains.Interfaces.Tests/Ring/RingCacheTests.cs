using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Reflection;
using Microsoft.Extensions.Time.Testing;

namespace DiMint.Tests.Ring;

/// <summary>A ring refresh is shared while it is young, and not waited on once it hangs (a cut-off gateway or overlord).</summary>
[Trait("Category", "Unit")]
public sealed class RingCacheTests
{
    private static readonly SiloAddress Silo = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);

    [Fact]
    public async Task RefreshAsync_WhileACallIsYoung_SharesIt()
    {
        var overlord = new Overlord();
        var time = new FakeTimeProvider();
        var cache = new RingCache(Factory.For(overlord), time);

        var first = cache.RefreshAsync();
        time.Advance(RingCache.ShareFor / 2);
        var second = cache.RefreshAsync();

        Assert.Same(first, second);
        Assert.Equal(1, overlord.Calls);
        overlord.Answer(0, RingAt(7));
        Assert.Equal(7, (await second).Version);
    }

    [Fact]
    public async Task RefreshAsync_WhileACallHangs_AsksAgainOnItsOwn_AndTheNewAnswerServesEveryCaller()
    {
        var overlord = new Overlord();
        var time = new FakeTimeProvider();
        var cache = new RingCache(Factory.For(overlord), time);

        // The first call hangs (it went to a silo that paused): after ShareFor the refresh asks again, and a later
        // caller shares that refresh.
        var hung = cache.RefreshAsync();
        time.Advance(RingCache.ShareFor);
        AssertSoon(() => overlord.Calls == 2, "a second call");
        var later = cache.RefreshAsync();

        Assert.Same(hung, later);
        overlord.Answer(1, RingAt(9));
        Assert.Equal(9, (await hung).Version);

        // The late answer of the hung call (an older ring) does not replace the newer one.
        overlord.Answer(0, RingAt(8));
        Assert.Equal(9, cache.Current!.Version);
        Assert.Equal(2, overlord.Calls);
    }

    [Fact]
    public async Task RefreshAsync_NoCallAnswering_AsksAtMostMaxAsksTimes_AndFailsOnceEveryCallFailed()
    {
        var overlord = new Overlord();
        var time = new FakeTimeProvider();
        var cache = new RingCache(Factory.For(overlord), time);

        var refresh = cache.RefreshAsync();
        for (var asked = 2; asked <= RingCache.MaxAsks; asked++)
        {
            time.Advance(RingCache.ShareFor);
            AssertSoon(() => overlord.Calls == asked, $"call {asked}");
        }

        time.Advance(RingCache.ShareFor * 3);
        Assert.Equal(RingCache.MaxAsks, overlord.Calls);

        for (var i = 0; i < RingCache.MaxAsks; i++)
        {
            Assert.False(refresh.IsCompleted);
            overlord.Fail(i, new TimeoutException($"call {i}"));
        }

        // Which failure it ends with depends on the order the calls' failures reach it (each on the thread pool).
        var failed = await Assert.ThrowsAsync<TimeoutException>(() => refresh);
        Assert.Contains(failed.Message, Enumerable.Range(0, RingCache.MaxAsks).Select(i => $"call {i}"));
    }

    [Fact]
    public async Task RefreshAsync_WithARingCached_AsksForWhatChangedSinceIt_AndAppliesIt()
    {
        var overlord = new Overlord();
        var cache = new RingCache(Factory.For(overlord), new FakeTimeProvider());
        var held = WideRingAt(4);
        cache.Offer(held);
        var next = held with { Version = 5, Ranges = held.Ranges.SetItem(2, held.Ranges[2] with { Epoch = 2, Master = Other }) };

        var refresh = cache.RefreshAsync();
        Assert.Equal(4, overlord.Known[0]);
        overlord.Answer(0, RingUpdate.Between(held, next));
        var ring = await refresh;

        Assert.Equal(5, ring.Version);
        Assert.Equal(Other, ring.Ranges[2].Master);
        Assert.Same(held.Ranges[1], ring.Ranges[1]);
        Assert.Equal(1, overlord.Calls);
    }

    [Fact]
    public async Task ADeltaFromAVersionTheCacheNoLongerHas_IsNotApplied_AndTheRingIsAskedForFromTheOneItHas()
    {
        var overlord = new Overlord();
        var cache = new RingCache(Factory.For(overlord), new FakeTimeProvider());
        var gone = WideRingAt(2);
        cache.Offer(WideRingAt(4));

        var refresh = cache.RefreshAsync();
        overlord.Answer(0, RingUpdate.Between(gone, WideRingAt(6)));
        AssertSoon(() => overlord.Calls == 2, "a second call");
        Assert.Equal(4, overlord.Known[1]);
        Assert.Equal(4, cache.Current!.Version);
        overlord.Answer(1, WideRingAt(6));

        Assert.Equal(6, (await refresh).Version);
        Assert.Null(cache.Take(RingUpdate.Between(gone, WideRingAt(7))));

        // A delta made from another ring of the same version does not apply to this one: not taken, nothing thrown.
        var other = RingAt(6);
        Assert.Null(cache.Take(RingUpdate.Between(other, other with { Version = 7 })));
        Assert.Equal(6, cache.Current!.Version);
    }

    [Fact]
    public void UpdateFor_SendsADeltaFromAVersionTheCacheStillHas_ElseTheWholeRing()
    {
        var cache = new RingCache(Factory.For(new Overlord()), new FakeTimeProvider());
        var rings = Enumerable.Range(1, RingCache.Remembered + 2).Select(v => WideRingAt(v)).ToArray();
        foreach (var ring in rings)
        {
            cache.Offer(ring);
        }

        var newest = rings[^1];
        var fromPrevious = cache.UpdateFor(newest, newest.Version - 1);
        var fromForgotten = cache.UpdateFor(newest, 1);

        Assert.Same(rings[1], cache.Known(2));
        Assert.Null(cache.Known(1));
        Assert.Equal((newest.Version - 1, null), (fromPrevious.BaseVersion, fromPrevious.Whole));
        Assert.Same(newest, fromForgotten.Whole);
        var unchanged = cache.UpdateFor(newest, newest.Version);
        Assert.Equal((newest.Version, newest.Version, null), (unchanged.BaseVersion, unchanged.Version, unchanged.Whole));
        Assert.Same(newest, cache.Take(unchanged));
    }

    [Fact]
    public async Task WaitForNewerAsync_EndsTheMomentANewerRingIsOffered_WithIt()
    {
        var time = new FakeTimeProvider();
        var cache = new RingCache(Factory.For(new Overlord()), time);
        cache.Offer(RingAt(4));

        var waiting = cache.WaitForNewerAsync(4, TimeSpan.FromSeconds(5));
        cache.Offer(RingAt(3));
        cache.Offer(RingAt(4));
        Assert.False(waiting.IsCompleted);

        cache.Offer(RingAt(5));
        Assert.Equal(5, (await waiting)!.Version);
        Assert.Equal(5, (await cache.WaitForNewerAsync(4, TimeSpan.FromSeconds(5)))!.Version);
    }

    [Fact]
    public async Task WaitForNewerAsync_WithNothingNewer_AnswersTheCachedRingAfterTheWait()
    {
        var time = new FakeTimeProvider();
        var cache = new RingCache(Factory.For(new Overlord()), time);
        cache.Offer(RingAt(4));

        var waiting = cache.WaitForNewerAsync(4, TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(4, (await waiting)!.Version);
    }

    [Fact]
    public async Task WatchAsync_SharesOneOverlordCallPerVersion_AndItsAnswerServesTheCache()
    {
        var overlord = new Overlord();
        var time = new FakeTimeProvider();
        var cache = new RingCache(Factory.For(overlord), time);
        cache.Offer(RingAt(4));

        var first = cache.WatchAsync(4);
        var second = cache.WatchAsync(4);
        Assert.Same(first, second);
        Assert.Equal(1, overlord.Calls);
        Assert.Equal((4L, RingCache.WatchFor), overlord.Watched[0]);

        overlord.Answer(0, RingAt(6));
        Assert.Equal(6, (await first).Version);
        Assert.Equal(6, cache.Current!.Version);

        // A ring newer than the one asked about is already here: no call.
        Assert.Equal(6, (await cache.WatchAsync(5)).Version);
        Assert.Equal(1, overlord.Calls);
    }

    [Fact]
    public async Task WatchAsync_WhileAWatchHangs_WatchesAgainSoon_AndTheNewAnswerServesTheCache()
    {
        // The overlord's silo was killed with a watch parked there: that call is never answered.
        var overlord = new Overlord();
        var time = new FakeTimeProvider();
        var cache = new RingCache(Factory.For(overlord), time);
        cache.Offer(RingAt(4));

        var hung = cache.WatchAsync(4);
        time.Advance(RingCache.WatchShareFor / 2);
        Assert.Same(hung, cache.WatchAsync(4));
        time.Advance(RingCache.WatchShareFor / 2);
        var fresh = cache.WatchAsync(4);

        Assert.NotSame(hung, fresh);
        Assert.True(RingCache.WatchShareFor < RingCache.WatchFor);
        Assert.Equal(2, overlord.Calls);
        overlord.Answer(1, RingAt(5));
        Assert.Equal(5, (await fresh).Version);
        Assert.Equal(5, cache.Current!.Version);
        Assert.False(hung.IsCompleted);
    }

    [Fact]
    public async Task WatchAsync_WhenTheOverlordDoesNotAnswer_TakesTheRingFromElsewhere()
    {
        // The client's gateway paused: its watch of the overlord hangs; a silo it reaches answers the newer ring.
        var overlord = new Overlord();
        var cache = new RingCache(Factory.For(overlord), new FakeTimeProvider());
        cache.Offer(RingAt(4));
        var elsewhere = new TaskCompletionSource<RingUpdate?>();
        cache.WatchElsewhere = version => version == 4 ? elsewhere.Task : null;

        var watch = cache.WatchAsync(4);
        Assert.False(watch.IsCompleted);
        elsewhere.SetResult(RingUpdate.Of(RingAt(6)));

        Assert.Equal(6, (await watch).Version);
        Assert.Equal(6, cache.Current!.Version);
        Assert.Equal(1, overlord.Calls);
    }

    [Fact]
    public async Task WatchAsync_WhenTheOtherWayFails_StillTakesTheOverlordsAnswer()
    {
        var overlord = new Overlord();
        var cache = new RingCache(Factory.For(overlord), new FakeTimeProvider());
        cache.Offer(RingAt(4));
        cache.WatchElsewhere = _ => Task.FromException<RingUpdate?>(new TimeoutException("the silo did not answer"));

        var watch = cache.WatchAsync(4);
        await Task.Yield();
        Assert.False(watch.IsCompleted);
        overlord.Answer(0, RingAt(5));

        Assert.Equal(5, (await watch).Version);
    }

    private static readonly SiloAddress Other = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1);

    /// <summary>A ring of eight ranges, all mastered by <see cref="Silo"/>, at <paramref name="version"/>.</summary>
    private static DiMint.Ring WideRingAt(long version) => new()
    {
        Version = version,
        Ranges = [.. Enumerable.Range(0, 8).Select(i => new RangeInfo { Id = i + 1, Start = (ulong)i << 61, End = i == 7 ? 0 : (ulong)(i + 1) << 61, Master = Silo })],
        NextRangeId = 9,
    };

    private static DiMint.Ring RingAt(long version) => new()
    {
        Version = version,
        Ranges = [new RangeInfo { Id = 1, Start = 0, End = 0, Master = Silo }],
        NextRangeId = 2,
    };

    /// <summary>An overlord whose ring calls wait until the test answers them, in the order they were made.</summary>
    /// <summary>
    /// Asserts that <paramref name="condition"/> holds within a few seconds: the cache's next call is made by a continuation
    /// of the fake clock's timer, which may run on the thread pool.
    /// </summary>
    private static void AssertSoon(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(5)), $"{what} never happened");

    internal sealed class Overlord
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource<RingUpdate>> _calls = new();

        public int Calls => _calls.Count;

        /// <summary>What each watch asked for, by call number.</summary>
        public ConcurrentDictionary<int, (long Version, TimeSpan Wait)> Watched { get; } = new();

        /// <summary>The version each fetch said the cache held, by call number.</summary>
        public ConcurrentDictionary<int, long> Known { get; } = new();

        public Task<RingUpdate> WatchRingAsync(long version, TimeSpan wait)
        {
            Watched[_calls.Count] = (version, wait);
            return Call();
        }

        public Task<RingUpdate> GetRingSinceAsync(long known)
        {
            Known[_calls.Count] = known;
            return Call();
        }

        public void Answer(int call, DiMint.Ring ring) => _calls[call].SetResult(RingUpdate.Of(ring));

        public void Answer(int call, RingUpdate update) => _calls[call].SetResult(update);

        private Task<RingUpdate> Call()
        {
            var call = new TaskCompletionSource<RingUpdate>(TaskCreationOptions.RunContinuationsAsynchronously);
            _calls[_calls.Count] = call;
            return call.Task;
        }

        public void Fail(int call, Exception error) => _calls[call].SetException(error);
    }

    /// <summary>A grain factory that hands out only the overlord, as a proxy onto <see cref="Overlord"/>.</summary>
    public class Factory : DispatchProxy
    {
        private Overlord? _overlord;

        internal static IGrainFactory For(Overlord overlord)
        {
            var factory = Create<IGrainFactory, Factory>();
            ((Factory)(object)factory)._overlord = overlord;
            return factory;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && targetMethod.GetGenericArguments()[0] == typeof(IOverlordGrain)
                ? OverlordProxy.For(_overlord!)
                : throw new NotSupportedException(targetMethod?.Name);
    }

    /// <summary>The overlord grain reference: only <see cref="IOverlordGrain.GetRingSinceAsync"/> and <see cref="IOverlordGrain.WatchRingAsync"/> are asked.</summary>
    public class OverlordProxy : DispatchProxy
    {
        private Overlord? _overlord;

        internal static IOverlordGrain For(Overlord overlord)
        {
            var proxy = Create<IOverlordGrain, OverlordProxy>();
            ((OverlordProxy)(object)proxy)._overlord = overlord;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            nameof(IOverlordGrain.GetRingSinceAsync) => _overlord!.GetRingSinceAsync((long)args![0]!),
            nameof(IOverlordGrain.WatchRingAsync) => _overlord!.WatchRingAsync((long)args![0]!, (TimeSpan)args[1]!),
            _ => throw new NotSupportedException(targetMethod?.Name),
        };
    }
}
