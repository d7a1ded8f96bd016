using System.Security.Cryptography;
using System.Text.Json;

namespace Automodulator.Data.Cache;

/// <summary>What <see cref="CacheVerifier.Verify"/> found.</summary>
public sealed record CacheVerifyReport(CacheManifest Manifest, IReadOnlyList<string> Problems, long ItemsChecked, long BytesHashed)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Re-reads a cache and checks it against its manifest: every committed shard's files exist with the right sizes
/// and SHA-256, items.jsonl matches its hash, item indices are contiguous and each item's content hash matches its
/// full-resolution pixels. Uncommitted leftovers of an interrupted run are ignored (the manifest does not count them).
/// </summary>
public static class CacheVerifier
{
    public static CacheVerifyReport Verify(string dir)
    {
        var m = CacheManifest.Load(dir);
        var problems = new List<string>();
        long items = 0, bytes = 0, expectIndex = 0, expectSource = m.RangeStart;
        foreach (var shard in m.Shards)
        {
            var sdir = CacheLayout.ShardDir(dir, shard.Index);
            string Where(string f) => Path.Combine(CacheLayout.ShardsDir, shard.Index.ToString("D6"), f);
            if (shard.SourceStart != expectSource) problems.Add($"shard {shard.Index}: starts at source item {shard.SourceStart}, expected {expectSource}");
            if (shard.ItemStart != expectIndex) problems.Add($"shard {shard.Index}: first item {shard.ItemStart}, expected {expectIndex}");
            expectSource = shard.SourceEnd;
            expectIndex += shard.Count;
            if (!Directory.Exists(sdir)) { problems.Add($"shard {shard.Index}: folder {sdir} is missing"); continue; }
            foreach (var r in m.Resolutions)
            {
                var path = Path.Combine(sdir, CacheLayout.LevelFile(r));
                if (!File.Exists(path)) { problems.Add($"{Where(CacheLayout.LevelFile(r))}: missing"); continue; }
                long size = new FileInfo(path).Length, want = (long)shard.Count * r * r * 3;
                if (size != want) { problems.Add($"{Where(CacheLayout.LevelFile(r))}: {size} bytes, expected {want}"); continue; }
                using var fs = File.OpenRead(path);
                var hash = Convert.ToHexStringLower(SHA256.HashData(fs));
                bytes += size;
                if (!shard.Files.TryGetValue(r.ToString(), out var expected) || expected != hash)
                    problems.Add($"{Where(CacheLayout.LevelFile(r))}: SHA-256 {hash[..12]}… does not match the manifest");
            }
            var itemsPath = Path.Combine(sdir, CacheLayout.ItemsFile);
            if (!File.Exists(itemsPath)) { problems.Add($"{Where(CacheLayout.ItemsFile)}: missing"); continue; }
            var itemBytes = File.ReadAllBytes(itemsPath);
            if (Convert.ToHexStringLower(SHA256.HashData(itemBytes)) != shard.ItemsSha256)
                problems.Add($"{Where(CacheLayout.ItemsFile)}: SHA-256 does not match the manifest");
            var infos = System.Text.Encoding.UTF8.GetString(itemBytes).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonSerializer.Deserialize<CacheItemInfo>(l, CacheManifest.JsonLine)!).ToList();
            if (infos.Count != shard.Count) { problems.Add($"{Where(CacheLayout.ItemsFile)}: {infos.Count} items, the manifest says {shard.Count}"); continue; }
            // Item hashes against the top level's pixels.
            int top = m.MaxResolution, per = top * top * 3;
            var topPath = Path.Combine(sdir, CacheLayout.LevelFile(top));
            if (!File.Exists(topPath) || new FileInfo(topPath).Length != (long)per * shard.Count) continue;
            using var topFile = File.OpenRead(topPath);
            var buf = new byte[per];
            for (int i = 0; i < infos.Count; i++)
            {
                topFile.ReadExactly(buf);
                var info = infos[i];
                if (info.Index != shard.ItemStart + i) problems.Add($"{Where(CacheLayout.ItemsFile)}: line {i + 1} has index {info.Index}, expected {shard.ItemStart + i}");
                if (info.SourceIndex < shard.SourceStart || info.SourceIndex >= shard.SourceEnd)
                    problems.Add($"{Where(CacheLayout.ItemsFile)}: item {info.Index} has source index {info.SourceIndex} outside the shard");
                if (CacheWriter.ItemHash(buf) != info.Sha256) problems.Add($"item {info.Index} ({info.Id}): pixels do not match its content hash");
                items++;
            }
        }
        if (expectIndex != m.Count) problems.Add($"manifest counts {m.Count} items, its shards {expectIndex}");
        if (m.Complete && expectSource != m.RangeEnd) problems.Add($"manifest says complete, but its shards end at source item {expectSource} of {m.RangeEnd}");
        return new CacheVerifyReport(m, problems, items, bytes);
    }
}
