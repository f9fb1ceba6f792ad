// The in-process cluster and the Redis tools' processes share two cores: one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
