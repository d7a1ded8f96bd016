using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;
using Automodulator.Data.Synthetic;

namespace Automodulator.Data.Tests.Cache;

public sealed class CacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "amod-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    internal static CacheManifest Header(long count, long start = 0, long? end = null, int shardSize = 3) => new()
    {
        Source = new CacheSource("synthetic", "seed 1", "test", ["none"], new SortedDictionary<string, string>()),
        Resolutions = [4, 8, 16],
        ShardSize = shardSize,
        RangeStart = start,
        RangeEnd = end ?? count,
        SourceCount = count,
        CanMirror = true,
    };

    internal static CacheEntry Entry(long i)
    {
        var img = SyntheticFaceRenderer.Render(FaceFactors.Sample(SeededRandom.Derive(1, (ulong)i)), 16);
        var levels = ImagePyramid.Build(img).ToDictionary(l => l.Width);
        return new CacheEntry(i, $"face-{i}", i % 4 == 0 ? "validation" : "train", levels, FlipPair: i / 2);
    }

    /// <summary>Writes items [from, to) of a 10-item source where item 4 and 7 are rejected.</summary>
    private static void Feed(CacheWriter w, long from, long to)
    {
        for (long i = Math.Max(from, w.ResumeSourceIndex); i < to; i++)
            if (i is 4 or 7) w.Reject(new RejectRecord(i, $"face-{i}", "test reject"));
            else w.Add(Entry(i));
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    private static void AssertSameCache(string a, string b)
    {
        var sa = Snapshot(a);
        var sb = Snapshot(b);
        Assert.Equal(sa.Keys.Order(), sb.Keys.Order());
        foreach (var k in sa.Keys) Assert.True(sa[k].AsSpan().SequenceEqual(sb[k]), $"{k} differs");
    }

    [Fact]
    public void Written_cache_reads_back_every_level_by_index()
    {
        var dir = Path.Combine(_root, "c");
        using (var w = CacheWriter.Open(dir, Header(10))) { Feed(w, 0, 10); w.Complete(); }
        using var r = CacheReader.Open(dir);
        Assert.Equal(8, r.Count);
        Assert.True(r.Manifest.Complete);
        Assert.Equal(2, r.Manifest.Rejects);
        var items = r.Items().ToList();
        Assert.Equal([0L, 1, 2, 3, 5, 6, 8, 9], items.Select(i => i.SourceIndex));
        for (int i = 0; i < 8; i++)
        {
            var e = Entry(items[i].SourceIndex);
            foreach (var res in new[] { 4, 8, 16 }) Assert.Equal(e.Levels[res].Pixels, r.Get(i, res).Pixels);
        }
        Assert.Equal(2, r.Rejects().Count());
        using var validation = CacheReader.Open(dir, "validation");
        Assert.Equal(2, validation.Count); // items 0 and 8
        Assert.Equal(Entry(8).Levels[8].Pixels, validation.Get(1, 8).Pixels);
        Assert.True(CacheVerifier.Verify(dir).Ok);
    }

    [Fact]
    public void Cache_reader_feeds_training_batches_at_any_stored_level()
    {
        var dir = Path.Combine(_root, "c");
        using (var w = CacheWriter.Open(dir, Header(10))) { Feed(w, 0, 10); w.Complete(); }
        using var reader = CacheReader.Open(dir, "train");
        using var prefetch = new Automodulator.Data.Batches.BatchPrefetcher(reader, new Automodulator.Data.Batches.BatchRequest(3, 8, 0.5),
            new Automodulator.Data.Batches.BatchOptions(FlipPairShare: 1.0 / 3, Seed: 1));
        using var batch = prefetch.Next();
        Assert.Equal(new long[] { 3, 3, 8, 8 }, batch.Images.shape);
        Assert.Equal(new long[] { 1, 3, 8, 8 }, batch.FlipPairs!.shape);
        Assert.All(batch.Indices, i => Assert.InRange(i, 0, reader.Count - 1));
        Assert.InRange(batch.Images.min().item<float>(), -1f, 1f);
    }

    [Fact]
    public void Rerun_after_a_crash_mid_shard_gives_the_same_bytes_as_an_uninterrupted_run()
    {
        var clean = Path.Combine(_root, "clean");
        using (var w = CacheWriter.Open(clean, Header(10))) { Feed(w, 0, 10); w.Complete(); }

        var crashed = Path.Combine(_root, "crashed");
        var w1 = CacheWriter.Open(crashed, Header(10));
        Feed(w1, 0, 8); // shards 0 and 1 committed, shard 2 (items 6..8) half written
        Assert.Equal(6, w1.ResumeSourceIndex);
        // Simulated SIGKILL: no Dispose, the temporary shard folder stays behind.
        Assert.True(Directory.Exists(CacheLayout.ShardDir(crashed, 2) + ".tmp"));
        var report = CacheVerifier.Verify(crashed);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.False(report.Manifest.Complete);

        using (var w2 = CacheWriter.Open(crashed, Header(10)))
        {
            Assert.Equal(6, w2.ResumeSourceIndex);
            Feed(w2, 0, 10);
            w2.Complete();
        }
        AssertSameCache(clean, crashed);
    }

    [Fact]
    public void Verify_finds_a_corrupted_shard()
    {
        var dir = Path.Combine(_root, "c");
        using (var w = CacheWriter.Open(dir, Header(10))) { Feed(w, 0, 10); w.Complete(); }
        var f = Path.Combine(CacheLayout.ShardDir(dir, 1), CacheLayout.LevelFile(8));
        var bytes = File.ReadAllBytes(f);
        bytes[5] ^= 0xFF;
        File.WriteAllBytes(f, bytes);
        var report = CacheVerifier.Verify(dir);
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Contains("r0008.u8") && p.Contains("SHA-256"));
    }

    [Fact]
    public void Merging_two_halves_equals_the_unsharded_cache()
    {
        var whole = Path.Combine(_root, "whole");
        using (var w = CacheWriter.Open(whole, Header(10))) { Feed(w, 0, 10); w.Complete(); }
        // --shard 0/2 and 1/2 of 10 items: [0, 5) and [5, 10); the split is not on a shard boundary.
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        using (var w = CacheWriter.Open(a, Header(10, 0, 5))) { Feed(w, 0, 5); w.Complete(); }
        using (var w = CacheWriter.Open(b, Header(10, 5, 10))) { Feed(w, 5, 10); w.Complete(); }
        var merged = Path.Combine(_root, "merged");
        CacheMerger.Merge([b, a], merged);
        AssertSameCache(whole, merged);
    }

    [Fact]
    public void Merge_refuses_parts_with_a_gap()
    {
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        using (var w = CacheWriter.Open(a, Header(10, 0, 3))) { Feed(w, 0, 3); w.Complete(); }
        using (var w = CacheWriter.Open(b, Header(10, 5, 10))) { Feed(w, 5, 10); w.Complete(); }
        var ex = Assert.Throws<ArgumentException>(() => CacheMerger.Merge([a, b], Path.Combine(_root, "m")));
        Assert.Contains("missing or overlaps", ex.Message);
    }

    [Fact]
    public void Resuming_with_different_settings_is_refused()
    {
        var dir = Path.Combine(_root, "c");
        using (var w = CacheWriter.Open(dir, Header(10))) Feed(w, 0, 4);
        var ex = Assert.Throws<ArgumentException>(() => CacheWriter.Open(dir, Header(10, shardSize: 5)));
        Assert.Contains("different settings", ex.Message);
    }

    [Fact]
    public void Each_pyramid_level_is_the_rounded_2x2_box_average_of_the_level_above()
    {
        var img = SyntheticFaceRenderer.Render(FaceFactors.Sample(3), 64);
        var levels = ImagePyramid.Build(img);
        Assert.Equal([64, 32, 16, 8, 4], levels.Select(l => l.Width));
        for (int k = 1; k < levels.Count; k++)
        {
            var up = levels[k - 1];
            var lo = levels[k];
            int r = lo.Width;
            for (int y = 0; y < r; y++)
                for (int x = 0; x < r; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        double avg = (up.Pixels[((2 * y) * up.Width + 2 * x) * 3 + c] + up.Pixels[((2 * y) * up.Width + 2 * x + 1) * 3 + c]
                                     + up.Pixels[((2 * y + 1) * up.Width + 2 * x) * 3 + c] + up.Pixels[((2 * y + 1) * up.Width + 2 * x + 1) * 3 + c]) / 4.0;
                        // Rounded once from the unrounded level above (StyleGAN's exporter), so within 1 of the rounded one.
                        Assert.InRange(lo.Pixels[(y * r + x) * 3 + c], avg - 1, avg + 1);
                    }
        }
        // Rounding is numpy's rint (half to even): channel sums 7 → 1.75 → 2, 6 → 1.5 → 2, 5 → 1.25 → 1, 10 → 2.5 → 2.
        var t = new RgbImage(2, 2, [1, 1, 1, 2, 1, 1, 2, 2, 1, 2, 2, 2]);
        Assert.Equal(new byte[] { 2, 2, 1 }, ImagePyramid.Downsample2x(t).Pixels);
        var u = new RgbImage(2, 2, [3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2]);
        Assert.Equal(new byte[] { 2, 2, 2 }, ImagePyramid.Downsample2x(u).Pixels);
    }
}
