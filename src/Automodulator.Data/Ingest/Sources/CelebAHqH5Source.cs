using System.Text.RegularExpressions;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;
using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// CelebA-HQ (or any data set) in the HDF5 layout of progressive_growing_of_gans' <c>h5tool.py</c>: one dataset per
/// level named <c>data{r}x{r}</c> (r = R, R/2, …, 1), shape [N, c, r, r] uint8 (c = 3, or 1 for grayscale), chunked
/// (⌈128 / (c·r²)⌉ images per chunk) and gzip-compressed, grown with resize() as h5tool's HDF5Exporter flushes.
/// Items are read from the largest level, one image per read, in file order (item i = CelebA-HQ index i), and go
/// to the pyramid as they are (already aligned). The lower levels are rebuilt from it: h5tool made them with the
/// same 2×2 average of the unrounded level above, rounded half to even, so they come out identical.
/// Read with PureHDF (managed; deflate built in); one open file per worker thread, as the reader is not shared.
/// </summary>
public sealed partial class CelebAHqH5Source : IIngestSource
{
    private readonly string _path;
    private readonly ThreadLocal<NativeFile> _files;
    private readonly Dictionary<int, string>? _splits;

    /// <param name="path">The .h5 file (e.g. celebahq.h5 as made by h5tool create_celebahq).</param>
    /// <param name="imageList">CelebA-HQ image_list.txt, for the 27k / 3k train / validation split (optional).</param>
    public CelebAHqH5Source(string path, string? imageList = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"HDF5 file {path} does not exist.", path);
        _path = path;
        using var first = Open(path);
        try
        {
            var levels = new List<(int Side, string Name)>();
            foreach (var child in first.Children())
            {
                var m = LevelName().Match(child.Name);
                if (m.Success && m.Groups[1].Value == m.Groups[2].Value && int.TryParse(m.Groups[1].Value, out var r)) levels.Add((r, child.Name));
            }
            if (levels.Count == 0)
                throw new FormatException($"{path} has no data{{R}}x{{R}} dataset: it is an HDF5 file, but not in the layout of progressive_growing_of_gans' h5tool.py.");
            Levels = levels.Select(l => l.Side).OrderDescending().ToArray();
            Dataset = levels.MaxBy(l => l.Side).Name;
            Side = Levels[0];
            var ds = first.Dataset(Dataset);
            var dims = ds.Space.Dimensions;
            if (dims.Length != 4 || dims[2] != (ulong)Side || dims[3] != (ulong)Side || dims[1] is not (1 or 3))
                throw new FormatException($"{path}: dataset {Dataset} has shape [{string.Join(", ", dims)}]; h5tool's layout is [N, 3 (or 1), {Side}, {Side}].");
            if (ds.Type.Class != H5DataTypeClass.FixedPoint || ds.Type.Size != 1)
                throw new FormatException($"{path}: dataset {Dataset} holds {ds.Type.Class} of {ds.Type.Size} bytes; h5tool's layout is uint8.");
            if (!ImagePyramid.IsPowerOfTwo(Side))
                throw new FormatException($"{path}: dataset {Dataset} has side {Side}, not a power of two.");
            Channels = (int)dims[1];
            Count = (long)dims[0];
            LevelCounts = levels.ToDictionary(l => l.Side, l => (long)first.Dataset(l.Name).Space.Dimensions[0]);
        }
        catch (Exception e) when (e is not FormatException)
        {
            throw Unreadable(path, e);
        }
        _files = new ThreadLocal<NativeFile>(() => Open(path), trackAllValues: true);
        _splits = imageList is null ? null : CelebASource.HqSplits(imageList);
    }

    /// <summary>The dataset items are read from, e.g. data1024x1024.</summary>
    public string Dataset { get; }

    /// <summary>Side R of the largest level.</summary>
    public int Side { get; }

    /// <summary>1 (grayscale, replicated to RGB on read) or 3.</summary>
    public int Channels { get; }

    /// <summary>Every level's side, largest first.</summary>
    public IReadOnlyList<int> Levels { get; }

    /// <summary>Images per level (h5tool warns when they differ: an export that was cut short).</summary>
    public IReadOnlyDictionary<int, long> LevelCounts { get; }

    public long Count { get; }
    public bool CanMirror => true;

    public CacheSource Describe(int resolution)
    {
        if (resolution > Side)
            throw new ArgumentException($"{_path} holds {Side}×{Side} images ({Dataset}); the cache resolution {resolution} is larger. Use --resolution {Side} or less.");
        var deviations = new List<string>
        {
            $"levels below {Side} are rebuilt from {Dataset} with the same 2×2 average and rounding as h5tool, not read from the file",
        };
        if (LevelCounts.Values.Any(n => n != Count))
            deviations.Add($"the file's levels hold different image counts ({string.Join(", ", LevelCounts.OrderByDescending(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"))}), as after an interrupted h5tool export; {Dataset} is used");
        return new CacheSource("celebahq-h5", _path, "progressive_growing_of_gans h5tool.py HDF5Exporter layout (already aligned), 2×2 box pyramid", deviations,
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["aligned"] = "true", ["dataset"] = Dataset, ["channels"] = Channels.ToString() });
    }

    public IEnumerable<IngestItem> Enumerate(long start, long end)
    {
        for (long i = start; i < end; i++)
            yield return new IngestItem(i, $"{Dataset}[{i}]", _splits is null ? null : _splits.GetValueOrDefault((int)i), i);
    }

    public RgbImage Read(IngestItem item, int resolution) => ReadImage((long)item.Payload!, Side);

    /// <summary>Image <paramref name="index"/> of level <c>data{side}x{side}</c>, as RGB.</summary>
    public RgbImage ReadImage(long index, int side)
    {
        if (!LevelCounts.TryGetValue(side, out var n)) throw new ArgumentException($"{_path} has no data{side}x{side} dataset.");
        if (index < 0 || index >= n) throw new IngestRejectException($"data{side}x{side} holds {n} images; index {index} is out of range");
        int c = Channels, plane = side * side;
        byte[] chw;
        try
        {
            var ds = _files.Value!.Dataset($"data{side}x{side}");
            var one = new HyperslabSelection(4, [(ulong)index, 0, 0, 0], [1, (ulong)c, (ulong)side, (ulong)side], [1, 1, 1, 1], [1, (ulong)c, (ulong)side, (ulong)side]);
            chw = ds.Read<byte[]>(one, null, [(ulong)(c * plane)]);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            throw new IngestRejectException($"data{side}x{side}[{index}] cannot be read (truncated or damaged file?): {Message(e)}");
        }
        if (chw.Length != c * plane)
            throw new IngestRejectException($"data{side}x{side}[{index}] read {chw.Length} bytes instead of {c * plane}");
        // h5tool stores CHW (channel planes); RgbImage is interleaved HWC.
        var image = new RgbImage(side, side);
        var px = image.Pixels;
        for (int i = 0; i < plane; i++)
        {
            px[3 * i] = chw[i];
            px[3 * i + 1] = chw[(c == 3 ? 1 : 0) * plane + i];
            px[3 * i + 2] = chw[(c == 3 ? 2 : 0) * plane + i];
        }
        return image;
    }

    public RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution) => decoded;

    private static NativeFile Open(string path)
    {
        try { return H5File.OpenRead(path); }
        catch (Exception e) when (e is not (OutOfMemoryException or FileNotFoundException or UnauthorizedAccessException)) { throw Unreadable(path, e); }
    }

    private static string Message(Exception e) => e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;

    private static FormatException Unreadable(string path, Exception e) =>
        new($"{path} is not a readable HDF5 file ({Message(e)}). Check that the file is complete (a download or h5tool export that was cut short leaves a truncated file) and re-create it with h5tool.py if needed.", e);

    public void Dispose()
    {
        foreach (var f in _files.Values) f.Dispose();
        _files.Dispose();
    }

    [GeneratedRegex(@"^data([0-9]+)x([0-9]+)$")]
    private static partial Regex LevelName();
}
