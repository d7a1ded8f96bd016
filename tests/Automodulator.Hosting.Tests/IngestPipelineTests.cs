using System.Text.Json;
using Automodulator.Data.Cache;
using Automodulator.Data.Ingest;
using Automodulator.Data.Ingest.Sources;
using Automodulator.Hosting.Ingest;

namespace Automodulator.Hosting.Tests;

public sealed class IngestPipelineTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "amod-ingest-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private string P(string name) => Path.Combine(_root, name);

    internal static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    internal static void AssertSameCache(string a, string b)
    {
        var sa = Snapshot(a);
        var sb = Snapshot(b);
        Assert.Equal(sa.Keys.Order(), sb.Keys.Order());
        foreach (var k in sa.Keys) Assert.True(sa[k].AsSpan().SequenceEqual(sb[k]), $"{k} differs");
    }

    private static IngestSummary Run(IIngestSource source, string output, int resolution, int workers = 1, int shardSize = 3, int part = 0, int parts = 1,
        CancellationToken stop = default, CancellationToken abort = default, Action<CacheShard>? onShard = null)
    {
        var pipeline = new IngestPipeline(source, new IngestOptions { Output = output, Resolution = resolution, Workers = workers, ShardSize = shardSize, Part = part, Parts = parts, ChannelCapacity = 2 });
        if (onShard is not null) pipeline.ShardCommitted += onShard;
        return pipeline.RunAsync(stop, abort).GetAwaiter().GetResult();
    }

    [Fact]
    public void Every_bad_input_lands_in_rejects_with_a_reason_and_every_good_image_is_kept()
    {
        var good = Fixtures.BadInputFolder(P("in"));
        using var source = new ImageFolderSource(P("in"));
        var summary = Run(source, P("out"), 16);
        Assert.True(summary.Manifest.Complete);
        var rejects = File.ReadAllLines(Path.Combine(P("out"), CacheLayout.RejectsFile)).Select(l => JsonSerializer.Deserialize<RejectRecord>(l, CacheManifest.JsonLine)!).ToList();
        Assert.Equal(Fixtures.ExpectedRejects.Keys.Order(), rejects.Select(r => r.Id).Order());
        foreach (var r in rejects)
        {
            Assert.False(string.IsNullOrWhiteSpace(r.Reason));
            Assert.Contains(Fixtures.ExpectedRejects[r.Id], r.Reason);
        }
        using var reader = CacheReader.Open(P("out"));
        Assert.Equal(good, reader.Items().Select(i => i.Id));
        Assert.Equal(good.Length, summary.Kept);
        Assert.Equal(Fixtures.ExpectedRejects.Count, summary.Rejected);
        Assert.True(CacheVerifier.Verify(P("out")).Ok);
    }

    [Fact]
    public void One_and_three_workers_write_identical_caches()
    {
        Fixtures.BadInputFolder(P("in"));
        using (var s1 = new ImageFolderSource(P("in"))) Run(s1, P("one"), 16, workers: 1);
        using (var s3 = new ImageFolderSource(P("in"))) Run(s3, P("three"), 16, workers: 3);
        AssertSameCache(P("one"), P("three"));
    }

    [Fact]
    public void Resuming_after_an_abort_mid_run_gives_the_uninterrupted_cache()
    {
        using var source = new SyntheticIngestSource(20, seed: 5, flipPairs: true);
        Run(source, P("clean"), 16, workers: 2, shardSize: 4);

        using var abort = new CancellationTokenSource();
        int committed = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Run(source, P("crashed"), 16, workers: 2, shardSize: 4, abort: abort.Token, onShard: _ => { if (++committed == 2) abort.Cancel(); }));
        var partial = CacheManifest.Load(P("crashed"));
        Assert.False(partial.Complete);
        Assert.InRange(partial.Shards.Count, 2, 3);
        Assert.True(CacheVerifier.Verify(P("crashed")).Ok);

        var resumed = Run(source, P("crashed"), 16, workers: 2, shardSize: 4);
        Assert.True(resumed.Processed < 20);
        AssertSameCache(P("clean"), P("crashed"));
    }

    [Fact]
    public void A_graceful_stop_finishes_the_current_shard_and_a_rerun_completes()
    {
        using var source = new SyntheticIngestSource(30, seed: 2);
        using var stop = new CancellationTokenSource();
        var first = Run(source, P("c"), 8, workers: 2, shardSize: 5, stop: stop.Token, onShard: s => { if (s.Index == 1) stop.Cancel(); });
        Assert.True(first.Stopped);
        Assert.Equal(0, first.Manifest.Count % 5);
        Assert.True(first.Manifest.Count < 30);
        Assert.True(CacheVerifier.Verify(P("c")).Ok);
        var second = Run(source, P("c"), 8, workers: 2, shardSize: 5);
        Assert.True(second.Manifest.Complete);
        Assert.Equal(30, second.Manifest.Count);
    }

    [Fact]
    public void Merging_shard_0_of_2_and_1_of_2_equals_the_unsharded_ingest()
    {
        using var source = new SyntheticIngestSource(11, seed: 9);
        Run(source, P("whole"), 8, shardSize: 3);
        Run(source, P("a"), 8, shardSize: 3, part: 0, parts: 2);
        Run(source, P("b"), 8, shardSize: 3, part: 1, parts: 2);
        Assert.Equal(5, CacheManifest.Load(P("a")).RangeEnd);
        CacheMerger.Merge([P("a"), P("b")], P("merged"));
        AssertSameCache(P("whole"), P("merged"));
    }

    [Fact]
    public void Synthetic_cache_records_factors_and_flip_pairs()
    {
        using var source = new SyntheticIngestSource(4, seed: 3, flipPairs: true);
        Run(source, P("c"), 16);
        using var reader = CacheReader.Open(P("c"));
        var items = reader.Items().ToList();
        Assert.Equal([0L, 0, 1, 1], items.Select(i => i.FlipPair!.Value));
        var yaw0 = items[0].Factors!["coarse"]!["yaw"]!.GetValue<float>();
        var yaw1 = items[1].Factors!["coarse"]!["yaw"]!.GetValue<float>();
        Assert.Equal(-yaw0, yaw1);
        // The mirrored item is the mirror image of its partner (up to anti-aliasing).
        var a = reader.Get(0, 16);
        var b = reader.Get(1, 16);
        double diff = 0;
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                for (int c = 0; c < 3; c++)
                    diff += Math.Abs(a.Pixels[(y * 16 + x) * 3 + c] - b.Pixels[(y * 16 + 15 - x) * 3 + c]);
        Assert.True(diff / (16 * 16 * 3) < 1.0, $"mean |diff| {diff / 768:F2}");
    }

    [Fact]
    public void Reject_reasons_are_grouped_for_the_summary()
    {
        Assert.Equal("image is #×#, smaller than the #×# target", IngestPipeline.Category("image is 8×8, smaller than the 16×16 target"));
        Assert.Equal("the file is empty (# bytes)", IngestPipeline.Category("empty.jpg: the file is empty (0 bytes)"));
    }
}
