using System.Text;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;
using LightningDB;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// An LSUN category as distributed: an LMDB database (key → JPEG/WebP bytes). Items are read in cursor order, as
/// StyleGAN's dataset_tool iterates them, without building a key index: the count comes from the database stats and
/// a --shard k/n run skips to its start by stepping the cursor. Bedrooms (and any other category): centre crop and
/// Lanczos resize (create_lsun); cars: the 4:3 letterboxed crop of create_lsun_wide. Never mirrored (paper).
/// </summary>
public sealed class LsunSource : IIngestSource
{
    private readonly string _path;
    private readonly bool _wide;
    private readonly LightningEnvironment _env;
    private readonly long _count;

    /// <param name="path">The LMDB folder (data.mdb + lock.mdb), e.g. bedroom_train_lmdb.</param>
    /// <param name="wide">Use the cars crop (create_lsun_wide) instead of the square centre crop.</param>
    public LsunSource(string path, bool wide = false)
    {
        if (!Directory.Exists(path) || !File.Exists(Path.Combine(path, "data.mdb")))
            throw new DirectoryNotFoundException($"{path} is not an LMDB folder (no data.mdb). Point at e.g. bedroom_train_lmdb/.");
        LmdbNative.EnsureResolver();
        _path = path;
        _wide = wide;
        _env = new LightningEnvironment(path, new EnvironmentConfiguration { MaxReaders = 126, MapSize = Math.Max(new FileInfo(Path.Combine(path, "data.mdb")).Length, 1 << 20) });
        try
        {
            _env.Open(EnvironmentOpenFlags.ReadOnly | EnvironmentOpenFlags.NoLock);
            using var tx = _env.BeginTransaction(TransactionBeginFlags.ReadOnly);
            using var db = tx.OpenDatabase();
            _count = tx.GetEntriesCount(db);
        }
        catch (LightningException e)
        {
            _env.Dispose();
            throw new FormatException($"{path} is not a readable LMDB database: {e.Message}", e);
        }
    }

    public long Count => _count;
    public bool CanMirror => false;

    public CacheSource Describe(int resolution) => new(_wide ? "lsun-wide" : "lsun", _path,
        _wide ? "StyleGAN dataset_tool create_lsun_wide (4:3 band, letterboxed), 2×2 box pyramid" : "StyleGAN dataset_tool create_lsun (centre crop, Lanczos resize), 2×2 box pyramid",
        ["images the recipe skips (too small) or cannot decode are listed in rejects.jsonl"],
        new SortedDictionary<string, string> { ["crop"] = _wide ? "wide" : "square" });

    public IEnumerable<IngestItem> Enumerate(long start, long end)
    {
        using var tx = _env.BeginTransaction(TransactionBeginFlags.ReadOnly);
        using var db = tx.OpenDatabase();
        using var cursor = tx.CreateCursor(db);
        for (long i = 0; i < end; i++)
        {
            // Items before the start are stepped over without copying their values (no key index is built).
            var (found, id, value) = Step(cursor, i, copy: i >= start);
            if (!found) yield break;
            if (i >= start) yield return new IngestItem(i, id!, null, value);
        }
    }

    private (bool Found, string? Id, byte[]? Value) Step(LightningCursor cursor, long i, bool copy)
    {
        try
        {
            var (rc, key, value) = cursor.Next();
            if (rc == MDBResultCode.NotFound) return (false, null, null);
            if (rc != MDBResultCode.Success) throw new InvalidDataException($"The LMDB database {_path} could not be read at item {i}: {rc}.");
            if (!copy) return (true, null, null);
            // Copy the value out: the transaction (and its memory-mapped view) ends with the enumeration.
            return (true, Encoding.UTF8.GetString(key.AsSpan()), value.CopyToNewArray());
        }
        catch (LightningException e)
        {
            throw new InvalidDataException($"The LMDB database {_path} is damaged at item {i}: {e.Message}", e);
        }
    }

    public RgbImage Read(IngestItem item, int resolution) => ImageDecoder.Decode((byte[])item.Payload!, item.Id);

    public RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution) =>
        _wide ? SquareCrop.WideCrop(decoded, resolution) : SquareCrop.CenterCropResize(decoded, resolution);

    public void Dispose() => _env.Dispose();
}
