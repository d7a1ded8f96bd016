using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Cache;

/// <summary>
/// Writes a cache in source order. Every source index of the range must be reported, in increasing order, as either
/// an entry or a reject. Shard s holds source items [s·ShardSize, (s+1)·ShardSize); its files are streamed into a
/// temporary folder and the folder is renamed into place when the shard is complete; only then do rejects.jsonl and
/// the manifest (both written atomically) count it. A crash therefore loses at most the shard in progress, and
/// <see cref="Open"/> on the same folder resumes after the last committed shard, producing the same bytes as an
/// uninterrupted run. Single-threaded: the ingest pipeline's one writer stage owns it.
/// </summary>
public sealed class CacheWriter : IDisposable
{
    private readonly string _dir;
    private CacheManifest _manifest;
    private readonly List<RejectRecord> _rejects;
    private readonly SortedDictionary<string, long> _splits;
    private PendingShard? _pending;
    private long _next;

    private CacheWriter(string dir, CacheManifest manifest, List<RejectRecord> rejects)
    {
        _dir = dir;
        _manifest = manifest;
        _rejects = rejects;
        _splits = new SortedDictionary<string, long>(manifest.Splits.ToDictionary(), StringComparer.Ordinal);
        _next = manifest.Shards.Count == 0 ? manifest.RangeStart : manifest.Shards[^1].SourceEnd;
    }

    /// <summary>Raised after a shard is committed (for progress displays and tests that simulate crashes).</summary>
    public event Action<CacheShard>? ShardCommitted;

    public CacheManifest Manifest => _manifest;

    /// <summary>The first source index not yet committed: where a (resumed) run starts.</summary>
    public long ResumeSourceIndex => _manifest.Shards.Count == 0 ? _manifest.RangeStart : _manifest.Shards[^1].SourceEnd;

    public bool IsComplete => _manifest.Complete;

    /// <summary>
    /// Starts a cache in <paramref name="dir"/>, or resumes the one there if it was made with the same header
    /// (source, recipe, resolutions, shard size and range); a different header is refused rather than mixed.
    /// </summary>
    public static CacheWriter Open(string dir, CacheManifest header)
    {
        Validate(header);
        Directory.CreateDirectory(dir);
        var manifestPath = Path.Combine(dir, CacheLayout.ManifestFile);
        CacheManifest manifest;
        var rejects = new List<RejectRecord>();
        if (File.Exists(manifestPath))
        {
            manifest = CacheManifest.Load(dir);
            if (HeaderKey(manifest) != HeaderKey(header))
                throw new ArgumentException($"{dir} already holds a cache made with different settings (source, recipe, resolutions, shard size or range). Use another output folder, or delete it to start over.");
            long committedEnd = manifest.Shards.Count == 0 ? manifest.RangeStart : manifest.Shards[^1].SourceEnd;
            var rejectsPath = Path.Combine(dir, CacheLayout.RejectsFile);
            if (File.Exists(rejectsPath))
                foreach (var line in File.ReadLines(rejectsPath))
                {
                    if (line.Length == 0) continue;
                    var r = JsonSerializer.Deserialize<RejectRecord>(line, CacheManifest.JsonLine)!;
                    // A crash between writing rejects.jsonl and the manifest may leave rejects of an uncommitted shard.
                    if (r.SourceIndex < committedEnd) rejects.Add(r);
                }
        }
        else
        {
            manifest = header with { Count = 0, Rejects = 0, Complete = false, Shards = [], Splits = new SortedDictionary<string, long>(StringComparer.Ordinal) };
        }
        var shardsDir = Path.Combine(dir, CacheLayout.ShardsDir);
        Directory.CreateDirectory(shardsDir);
        // Whatever the manifest does not count is debris of an interrupted run: temporary folders, and shard folders
        // renamed into place just before a crash prevented the manifest update.
        var committed = manifest.Shards.Select(s => s.Index).ToHashSet();
        foreach (var d in Directory.EnumerateDirectories(shardsDir))
        {
            var name = Path.GetFileName(d);
            if (!int.TryParse(name, out var idx) || !committed.Contains(idx) || name != idx.ToString("D6"))
                Directory.Delete(d, recursive: true);
        }
        var writer = new CacheWriter(dir, manifest, rejects);
        if (File.Exists(manifestPath)) return writer;
        writer.WriteManifest();
        return writer;
    }

    public void Add(CacheEntry entry)
    {
        if (_manifest.Complete) throw new InvalidOperationException("The cache is already complete.");
        if (entry.SourceIndex >= _manifest.RangeEnd) throw new ArgumentOutOfRangeException(nameof(entry), $"Source index {entry.SourceIndex} is past the range end {_manifest.RangeEnd}.");
        Advance(entry.SourceIndex);
        var pending = Pending(entry.SourceIndex);
        pending.Add(entry, _manifest.Resolutions);
        if (entry.Split is not null) _splits[entry.Split] = _splits.GetValueOrDefault(entry.Split) + 1;
        _next = entry.SourceIndex + 1;
    }

    public void Reject(RejectRecord reject)
    {
        if (_manifest.Complete) throw new InvalidOperationException("The cache is already complete.");
        if (reject.SourceIndex >= _manifest.RangeEnd) throw new ArgumentOutOfRangeException(nameof(reject), $"Source index {reject.SourceIndex} is past the range end {_manifest.RangeEnd}.");
        Advance(reject.SourceIndex);
        Pending(reject.SourceIndex).Rejects.Add(reject);
        _next = reject.SourceIndex + 1;
    }

    /// <summary>Commits the last shard and marks the cache complete; every source index of the range must have been reported.</summary>
    public void Complete()
    {
        if (_manifest.Complete) return;
        Advance(_manifest.RangeEnd);
        _manifest = _manifest with { Complete = true };
        WriteManifest();
    }

    /// <summary>
    /// Commits every shard that ends at or before <paramref name="sourceIndex"/> (all items before it must have been
    /// reported): how a run that stops early (Ctrl+C) keeps its last finished shard.
    /// </summary>
    public void CommitUpTo(long sourceIndex)
    {
        if (_manifest.Complete) return;
        Advance(Math.Min(sourceIndex, _manifest.RangeEnd));
    }

    /// <summary>Drops the shard in progress (e.g. on Ctrl+C); committed shards stay.</summary>
    public void Dispose()
    {
        _pending?.Abort();
        _pending = null;
    }

    /// <summary>Commits every shard that ends at or before <paramref name="sourceIndex"/> (including empty ones).</summary>
    private void Advance(long sourceIndex)
    {
        if (sourceIndex < _next)
            throw new InvalidOperationException($"Source index {sourceIndex} arrived after {_next - 1}: entries must come in source order, each once.");
        if (sourceIndex > _manifest.RangeEnd)
            throw new ArgumentOutOfRangeException(nameof(sourceIndex), $"Source index {sourceIndex} is outside the range [{_manifest.RangeStart}, {_manifest.RangeEnd}).");
        while (ResumeSourceIndex < _manifest.RangeEnd)
        {
            long start = ResumeSourceIndex;
            int shard = (int)(start / _manifest.ShardSize);
            long end = Math.Min((long)(shard + 1) * _manifest.ShardSize, _manifest.RangeEnd);
            if (sourceIndex < end) return;
            if (_next < end)
                throw new InvalidOperationException($"Source items {_next}…{end - 1} were never reported (entry or reject) before item {sourceIndex}.");
            Commit(Pending(start), shard, start, end);
        }
    }

    private PendingShard Pending(long sourceIndex)
    {
        int shard = (int)(sourceIndex / _manifest.ShardSize);
        if (_pending is not null && _pending.Shard == shard) return _pending;
        _pending?.Abort();
        return _pending = new PendingShard(CacheLayout.ShardDir(_dir, shard) + ".tmp", shard, _manifest.Resolutions);
    }

    private void Commit(PendingShard pending, int shard, long start, long end)
    {
        var (files, itemsSha, items) = pending.Finish(_manifest.Count);
        var final = CacheLayout.ShardDir(_dir, shard);
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(pending.Path, final);
        _pending = null;
        var record = new CacheShard(shard, start, end, _manifest.Count, items, pending.Rejects.Count, files, itemsSha);
        _rejects.AddRange(pending.Rejects);
        _manifest = _manifest with
        {
            Shards = [.. _manifest.Shards, record],
            Count = _manifest.Count + items,
            Rejects = _manifest.Rejects + pending.Rejects.Count,
            Splits = new SortedDictionary<string, long>(_splits, StringComparer.Ordinal),
        };
        WriteRejects();
        WriteManifest();
        ShardCommitted?.Invoke(record);
    }

    private void WriteRejects()
    {
        var sb = new StringBuilder();
        foreach (var r in _rejects) sb.Append(JsonSerializer.Serialize(r, CacheManifest.JsonLine)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(_dir, CacheLayout.RejectsFile), sb.ToString());
    }

    private void WriteManifest() => AtomicFile.WriteAllText(Path.Combine(_dir, CacheLayout.ManifestFile), _manifest.ToJson());

    /// <summary>The settings that must match for a resume or a merge (everything but the progress).</summary>
    internal static string HeaderKey(CacheManifest m) => JsonSerializer.Serialize(new
    {
        m.FormatVersion, m.Source, m.Resolutions, m.ShardSize, m.RangeStart, m.RangeEnd, m.SourceCount, m.CanMirror,
    }, CacheManifest.JsonLine);

    private static void Validate(CacheManifest h)
    {
        if (h.Resolutions.Count == 0 || h.Resolutions.Any(r => !ImagePyramid.IsPowerOfTwo(r) || r < 4))
            throw new ArgumentException("Cache resolutions must be powers of two from 4 up.");
        if (!h.Resolutions.SequenceEqual(h.Resolutions.Order().Distinct()))
            throw new ArgumentException("Cache resolutions must be ascending and distinct.");
        if (h.ShardSize < 1) throw new ArgumentException("Shard size must be at least 1.");
        if (h.RangeStart < 0 || h.RangeEnd < h.RangeStart || h.RangeEnd > h.SourceCount)
            throw new ArgumentException($"Range [{h.RangeStart}, {h.RangeEnd}) does not fit a source of {h.SourceCount} items.");
    }

    /// <summary>Files of the shard being written, under a temporary folder name.</summary>
    private sealed class PendingShard
    {
        private readonly Dictionary<int, (FileStream Stream, IncrementalHash Hash)> _levels = new();
        private readonly StringBuilder _items = new();
        private readonly List<CacheItemInfo> _meta = new();
        private int _count;

        public PendingShard(string path, int shard, IReadOnlyList<int> resolutions)
        {
            Path = path;
            Shard = shard;
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            Directory.CreateDirectory(path);
            foreach (var r in resolutions)
                _levels[r] = (new FileStream(System.IO.Path.Combine(path, CacheLayout.LevelFile(r)), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16),
                    IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
        }

        public string Path { get; }
        public int Shard { get; }
        public List<RejectRecord> Rejects { get; } = new();

        public void Add(CacheEntry e, IReadOnlyList<int> resolutions)
        {
            foreach (var r in resolutions)
            {
                if (!e.Levels.TryGetValue(r, out var img) || img.Width != r || img.Height != r)
                    throw new ArgumentException($"Item {e.Id} lacks a {r}×{r} level.");
                var (s, h) = _levels[r];
                s.Write(img.Pixels);
                h.AppendData(img.Pixels);
            }
            // Index is filled in at commit time; only metadata is kept, never pixels.
            _meta.Add(new CacheItemInfo(0, e.SourceIndex, e.Id, e.Split, ItemHash(e.Levels[resolutions[^1]].Pixels), e.FlipPair, e.Factors, e.Detection));
            _count++;
        }

        public (Dictionary<string, string> Files, string ItemsSha, int Count) Finish(long firstIndex)
        {
            var files = new SortedDictionary<int, string>();
            foreach (var (r, (s, h)) in _levels)
            {
                s.Flush(flushToDisk: true);
                s.Dispose();
                files[r] = Convert.ToHexStringLower(h.GetHashAndReset());
                h.Dispose();
            }
            long index = firstIndex;
            foreach (var e in _meta)
                _items.Append(JsonSerializer.Serialize(e with { Index = index++ }, CacheManifest.JsonLine)).Append('\n');
            var itemsBytes = Encoding.UTF8.GetBytes(_items.ToString());
            using (var fs = new FileStream(System.IO.Path.Combine(Path, CacheLayout.ItemsFile), FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(itemsBytes);
                fs.Flush(flushToDisk: true);
            }
            _levels.Clear();
            return (files.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value), Convert.ToHexStringLower(SHA256.HashData(itemsBytes)), _count);
        }

        public void Abort()
        {
            foreach (var (s, h) in _levels.Values) { s.Dispose(); h.Dispose(); }
            _levels.Clear();
            try { Directory.Delete(Path, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }

    /// <summary>The per-item content hash: the first 128 bits of SHA-256 of the full-resolution pixels.</summary>
    public static string ItemHash(ReadOnlySpan<byte> pixels) => Convert.ToHexStringLower(SHA256.HashData(pixels).AsSpan(0, 16));
}
