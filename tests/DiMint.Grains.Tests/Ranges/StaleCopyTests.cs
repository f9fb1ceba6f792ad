using System.Net;
using DiMint.Grains.Ranges;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>
/// A silo drops the copies the ring left behind (a deposed master's, a replaced replica's) and nothing else: a copy the
/// ring names on this silo, under any of its incarnations, a copy of the ring's own epoch (a move's target) and a copy of
/// a range the ring does not know (a split being prepared) all stay; a copy an earlier runtime of the process placed goes
/// once the ring names neither runtime for it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class StaleCopyTests
{
    private static readonly SiloAddress Here = Silo(1, generation: 2);
    private static readonly SiloAddress EarlierHere = Silo(1, generation: 1);
    private static readonly SiloAddress Other = Silo(2, generation: 1);
    private static readonly SiloAddress Third = Silo(3, generation: 1);

    [Fact]
    public void DropStale_DropsOnlyCopiesTheRingPlacesElsewhereAtANewerEpoch()
    {
        var store = new RangeStore { Incarnation = EarlierHere };
        store.Put(new RangeData(Range(8, epoch: 3, Other, EarlierHere), 1, isMaster: false)); // placed before the restart, replaced since
        store.Put(new RangeData(Range(9, epoch: 3, Other, EarlierHere), 1, isMaster: false)); // placed before the restart, still named
        store.Incarnation = Here;
        store.Put(new RangeData(Range(1, epoch: 2, Here), 1, isMaster: true));            // deposed master, ring at epoch 3 elsewhere
        store.Put(new RangeData(Range(2, epoch: 1, Other, Here), 1, isMaster: false));     // replaced replica, ring at epoch 2
        store.Put(new RangeData(Range(3, epoch: 4, Other, Here), 1, isMaster: false));     // a replica the ring names here
        store.Put(new RangeData(Range(4, epoch: 1, Other, EarlierHere), 1, isMaster: false)); // named under an earlier incarnation
        store.Put(new RangeData(Range(5, epoch: 3, Other), 1, isMaster: false));           // a move's target, at the ring's epoch
        store.Put(new RangeData(Range(6, epoch: 1, Here), 1, isMaster: true));             // a range the ring does not know
        store.Put(new RangeData(Range(7, epoch: 5, Here), 1, isMaster: true));             // this silo's current master

        var ring = new Ring
        {
            Version = 10,
            NextRangeId = 10,
            Ranges =
            [
                Range(1, epoch: 3, Other, Third),
                Range(2, epoch: 2, Other, Third),
                Range(3, epoch: 5, Other, Here),
                Range(4, epoch: 2, Other, EarlierHere),
                Range(5, epoch: 3, Other, Third),
                Range(7, epoch: 5, Here, Other),
                Range(8, epoch: 3, Other, Third),
                Range(9, epoch: 3, Other, EarlierHere),
            ],
        };

        var dropped = store.DropStale(ring, [EarlierHere, Here]);

        Assert.Equal([1, 2, 8], dropped.Order());
        Assert.Equal([3, 4, 5, 6, 7, 9], store.Live().Select(d => d.Range.Id).Order());
    }

    [Fact]
    public void DropStale_AgainstAnOlderRing_KeepsEveryCopy()
    {
        var store = new RangeStore();
        store.Put(new RangeData(Range(1, epoch: 3, Here), 1, isMaster: true));
        var older = new Ring { Version = 5, NextRangeId = 2, Ranges = [Range(1, epoch: 2, Other, Third)] };

        Assert.Empty(store.DropStale(older, [Here]));
        Assert.True(store.TryGet(1, out _));
    }

    private static RangeInfo Range(int id, long epoch, SiloAddress master, params SiloAddress[] replicas) => new()
    {
        Id = id,
        Start = (ulong)id << 32,
        End = (ulong)(id + 1) << 32,
        Master = master,
        Replicas = [.. replicas],
        Epoch = epoch,
    };

    private static SiloAddress Silo(int host, int generation) => SiloAddress.New(new IPEndPoint(IPAddress.Parse($"10.0.0.{host}"), 11111), generation);
}
