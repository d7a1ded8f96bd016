using System.IO.MemoryMappedFiles;
using System.Text.Json;
using Automodulator.Data.Batches;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Cache;

/// <summary>
/// Random access to a cache's images by index and resolution through memory-mapped shard files (the OS page cache
/// does the buffering; nothing is read up front). Reads what the manifest counts, so a cache whose ingest is still
/// running or was interrupted is readable up to its last committed shard. Optionally restricted to one split.
/// Thread-safe.
/// </summary>
public sealed class CacheReader : IImageSource, IDisposable
{
    private readonly long[] _shardStarts;
    private readonly Dictionary<(int Shard, int Resolution), (MemoryMappedFile File, MemoryMappedViewAccessor View)> _maps = new();
    private readonly object _gate = new();
    private readonly long[]? _splitIndex;
    private bool _disposed;

    private CacheReader(string dir, CacheManifest manifest, string? split)
    {
        Directory = dir;
        Manifest = manifest;
        _shardStarts = manifest.Shards.Select(s => s.ItemStart).ToArray();
        if (split is not null)
        {
            if (!manifest.Splits.ContainsKey(split))
                throw new ArgumentException($"The cache has no split '{split}'. Splits: {(manifest.Splits.Count == 0 ? "none" : string.Join(", ", manifest.Splits.Keys))}.");
            _splitIndex = Items().Where(i => i.Split == split).Select(i => i.Index).ToArray();
        }
    }

    public static CacheReader Open(string dir, string? split = null) => new(dir, CacheManifest.Load(dir), split);

    public string Directory { get; }
    public CacheManifest Manifest { get; }
    public IReadOnlyList<int> Resolutions => Manifest.Resolutions;
    public int Count => (int)Math.Min(_splitIndex?.LongLength ?? Manifest.Count, int.MaxValue);
    public bool CanMirror => Manifest.CanMirror;

    public RgbImage Get(int index, int resolution)
    {
        var img = new RgbImage(resolution, resolution);
        Read(CacheIndex(index), resolution, img.Pixels);
        return img;
    }

    /// <summary>The cache index of reader index <paramref name="index"/> (they differ when reading one split).</summary>
    public long CacheIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is outside 0..{Count - 1}.");
        return _splitIndex is null ? index : _splitIndex[index];
    }

    /// <summary>Copies the pixels of cache item <paramref name="cacheIndex"/> at <paramref name="resolution"/>.</summary>
    public void Read(long cacheIndex, int resolution, Span<byte> destination)
    {
        if (!Manifest.Resolutions.Contains(resolution))
            throw new ArgumentException($"The cache has no {resolution}×{resolution} level; it has {string.Join(", ", Manifest.Resolutions)}.");
        if (cacheIndex < 0 || cacheIndex >= Manifest.Count) throw new ArgumentOutOfRangeException(nameof(cacheIndex));
        int s = Array.BinarySearch(_shardStarts, cacheIndex);
        if (s < 0) s = ~s - 1;
        // Empty shards share their start with the next one: move to the shard that actually holds the item.
        while (cacheIndex >= _shardStarts[s] + Manifest.Shards[s].Count) s++;
        long size = (long)resolution * resolution * 3;
        var view = View(s, resolution);
        long offset = (cacheIndex - _shardStarts[s]) * size;
        if (destination.Length != size) throw new ArgumentException($"Destination holds {destination.Length} bytes, a {resolution}² RGB image {size}.");
        unsafe
        {
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            try { new ReadOnlySpan<byte>(p + view.PointerOffset + offset, (int)size).CopyTo(destination); }
            finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
        }
    }

    /// <summary>Metadata of every item, in cache order (read from the shards' items.jsonl).</summary>
    public IEnumerable<CacheItemInfo> Items()
    {
        foreach (var shard in Manifest.Shards)
        {
            var path = Path.Combine(CacheLayout.ShardDir(Directory, shard.Index), CacheLayout.ItemsFile);
            foreach (var line in File.ReadLines(path))
                if (line.Length > 0) yield return JsonSerializer.Deserialize<CacheItemInfo>(line, CacheManifest.JsonLine)!;
        }
    }

    /// <summary>Rejects of the committed shards.</summary>
    public IEnumerable<RejectRecord> Rejects()
    {
        var path = Path.Combine(Directory, CacheLayout.RejectsFile);
        if (!File.Exists(path)) yield break;
        long end = Manifest.Shards.Count == 0 ? Manifest.RangeStart : Manifest.Shards[^1].SourceEnd;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            var r = JsonSerializer.Deserialize<RejectRecord>(line, CacheManifest.JsonLine)!;
            if (r.SourceIndex < end) yield return r;
        }
    }

    private MemoryMappedViewAccessor View(int shard, int resolution)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_maps.TryGetValue((shard, resolution), out var m)) return m.View;
            var path = Path.Combine(CacheLayout.ShardDir(Directory, Manifest.Shards[shard].Index), CacheLayout.LevelFile(resolution));
            long expected = (long)Manifest.Shards[shard].Count * resolution * resolution * 3;
            var length = new FileInfo(path).Length;
            if (length != expected)
                throw new InvalidDataException($"{path} holds {length} bytes, the manifest says {expected}. Run `automod cache verify {Directory}`.");
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            _maps[(shard, resolution)] = (file, view);
            return view;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var (file, view) in _maps.Values) { view.Dispose(); file.Dispose(); }
            _maps.Clear();
        }
    }
}
