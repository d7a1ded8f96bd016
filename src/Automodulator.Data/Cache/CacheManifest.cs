using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Automodulator.Data.Cache;

/// <summary>Where a cache's images came from and how they were made (docs/cache-format.md).</summary>
/// <param name="Kind">Source kind: synthetic, folder, ffhq-aligned, ffhq-wild, celeba, celebahq, celebahq-h5, lsun, lsun-wide.</param>
/// <param name="Location">The input path (or, for synthetic faces, the seed), as given.</param>
/// <param name="Recipe">The published recipe followed, e.g. "NVlabs/ffhq-dataset recreate_aligned_images".</param>
/// <param name="Deviations">Every way the output knowingly differs from the recipe.</param>
/// <param name="Options">Source options that change the output (e.g. the LSUN crop), as name → value.</param>
public sealed record CacheSource(string Kind, string Location, string Recipe, IReadOnlyList<string> Deviations, IReadOnlyDictionary<string, string> Options);

/// <summary>One committed shard: source items [SourceStart, SourceEnd), of which Count were kept.</summary>
/// <param name="Index">Shard number: source items [Index·ShardSize, (Index+1)·ShardSize) clipped to the range.</param>
/// <param name="ItemStart">Cache index of its first kept item.</param>
/// <param name="Files">SHA-256 (hex) of each resolution's file, keyed by resolution.</param>
/// <param name="ItemsSha256">SHA-256 of its items.jsonl.</param>
public sealed record CacheShard(int Index, long SourceStart, long SourceEnd, long ItemStart, int Count, int Rejects,
    IReadOnlyDictionary<string, string> Files, string ItemsSha256);

/// <summary>
/// The manifest of a multi-resolution cache. Deterministic: no times, hosts or worker counts, so a rerun or a merge
/// of sharded runs writes the same bytes.
/// </summary>
public sealed record CacheManifest
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required CacheSource Source { get; init; }

    /// <summary>Square sides stored, ascending powers of two (4 … R).</summary>
    public required IReadOnlyList<int> Resolutions { get; init; }

    /// <summary>Source items per shard.</summary>
    public required int ShardSize { get; init; }

    /// <summary>Source items [RangeStart, RangeEnd) of the whole source of SourceCount items (a --shard k/n run covers a part).</summary>
    public required long RangeStart { get; init; }
    public required long RangeEnd { get; init; }
    public required long SourceCount { get; init; }

    /// <summary>Whether a left-right mirror is a valid sample (faces yes, LSUN no).</summary>
    public required bool CanMirror { get; init; }

    /// <summary>Items kept so far (sum over committed shards).</summary>
    public long Count { get; init; }
    public long Rejects { get; init; }

    /// <summary>Kept items per split name (e.g. train / validation).</summary>
    public IReadOnlyDictionary<string, long> Splits { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>True once every shard of the range is committed.</summary>
    public bool Complete { get; init; }

    public IReadOnlyList<CacheShard> Shards { get; init; } = [];

    public int MaxResolution => Resolutions[^1];

    /// <summary>Number of shards the range spans.</summary>
    [JsonIgnore]
    public int ShardCount => RangeEnd <= RangeStart ? 0 : (int)((RangeEnd - 1) / ShardSize - RangeStart / ShardSize + 1);

    /// <summary>Absolute shard number of the first shard of the range.</summary>
    [JsonIgnore]
    public int FirstShard => (int)(RangeStart / ShardSize);

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Compact one-line JSON for items.jsonl / rejects.jsonl.</summary>
    public static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };

    public static CacheManifest Load(string dir)
    {
        var path = Path.Combine(dir, CacheLayout.ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{dir} is not a cache: it has no {CacheLayout.ManifestFile}.", path);
        CacheManifest? m;
        try { m = JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new FormatException($"{path} is not a valid cache manifest: {e.Message}", e); }
        if (m is null) throw new FormatException($"{path} is empty.");
        if (m.FormatVersion != CurrentFormatVersion)
            throw new FormatException($"{path} has cache format {m.FormatVersion}; this build reads format {CurrentFormatVersion}. Re-run the ingest with this build.");
        return m;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";
}

/// <summary>One kept image's metadata (a line of a shard's items.jsonl).</summary>
/// <param name="Index">Cache index (0-based over the whole cache).</param>
/// <param name="SourceIndex">Position in the source's enumeration.</param>
/// <param name="Id">The source's own id (file path relative to the input, LMDB key, JSON index …).</param>
/// <param name="Sha256">First 128 bits (hex) of the SHA-256 of the full-resolution pixels.</param>
/// <param name="FlipPair">Items with the same id are left-right mirrors of each other; null if none.</param>
/// <param name="Factors">Ground-truth generative factors (synthetic faces).</param>
/// <param name="Detection">Face detection result of a <c>--detect</c> ingest (box, landmarks, aligned eye centres).</param>
public sealed record CacheItemInfo(long Index, long SourceIndex, string Id, string? Split, string Sha256, long? FlipPair = null, JsonNode? Factors = null,
    JsonNode? Detection = null);

/// <summary>A source item that did not make it into the cache, and why (a line of rejects.jsonl).</summary>
public sealed record RejectRecord(long SourceIndex, string Id, string Reason);

/// <summary>File names inside a cache folder.</summary>
public static class CacheLayout
{
    public const string ManifestFile = "manifest.json";
    public const string RejectsFile = "rejects.jsonl";
    public const string ShardsDir = "shards";
    public const string ItemsFile = "items.jsonl";

    public static string ShardDir(string cache, int shard) => Path.Combine(cache, ShardsDir, shard.ToString("D6"));
    public static string LevelFile(int resolution) => $"r{resolution:D4}.u8";
}
