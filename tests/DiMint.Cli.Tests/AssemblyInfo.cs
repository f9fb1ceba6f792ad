// These tests start real silo processes, ZooKeeper servers and kill them; on a two-core machine they run one class
// at a time so that one scenario's load does not decide another's timing.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
