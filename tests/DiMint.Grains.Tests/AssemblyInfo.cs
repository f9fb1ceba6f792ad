// Each test collection starts its own in-process cluster of three silos; on a two-core machine they run one at a time
// so that one cluster's load does not decide another's timing (probes, failover, fences).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
