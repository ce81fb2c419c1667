// Every test here starts its own tgtd on its own ports, so they could overlap; they run one at a
// time anyway, so timings (iscsi-perf) and the process scans of the stop tests are undisturbed.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
