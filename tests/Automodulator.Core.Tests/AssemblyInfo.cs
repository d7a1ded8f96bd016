// Seeded model initialisation draws from torch's process-wide generator: a test running in parallel could take
// numbers between another test's manual_seed and its construction, so tests that compare two seeded runs bit for bit
// would flake. Run this assembly's tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
