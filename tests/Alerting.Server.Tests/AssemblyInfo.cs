// Each test starts a real server; running them one at a time keeps at most two servers up.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
