using System.Globalization;
using System.Numerics;
using Automodulator.Data.Alignment;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// CelebA-HQ made from CelebA's <c>img_celeba</c> photos and the five points of <c>list_landmarks_celeba.txt</c>:
/// the 30 000 images named by CelebA-HQ's <c>image_list.txt</c> (its orig_file column) when given, else every image
/// of the landmark list. Aligned with the five-point variant of the FFHQ quad (<see cref="FfhqAligner"/>) at 1024,
/// then box-averaged. Split 27 k / 3 k as the automodulator paper: CelebA index ≤ 182 636 (0-based: the official
/// train + validation partitions) → train, the official test partition → validation.
/// </summary>
public sealed class CelebASource : IIngestSource
{
    /// <summary>Last 0-based CelebA index of the official train + validation partitions.</summary>
    public const int LastTrainIndex = 182636;

    private readonly string _images;
    private readonly string _landmarkFile;
    private readonly string? _imageList;
    private readonly List<(string File, int CelebAIndex, float[]? Points)> _items;
    private readonly FfhqAligner _aligner;
    private readonly int _alignSize;

    public CelebASource(string imagesDir, string landmarksFile, string? imageListFile = null, int alignSize = 1024)
    {
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"CelebA image folder {imagesDir} does not exist (img_celeba).");
        if (!File.Exists(landmarksFile)) throw new FileNotFoundException($"CelebA landmark list {landmarksFile} does not exist (list_landmarks_celeba.txt).", landmarksFile);
        if (!ImagePyramid.IsPowerOfTwo(alignSize)) throw new ArgumentException($"Align size {alignSize} must be a power of two.");
        _images = imagesDir;
        _landmarkFile = landmarksFile;
        _imageList = imageListFile;
        _alignSize = alignSize;
        _aligner = new FfhqAligner(new FfhqAlignOptions { OutputSize = alignSize });
        var landmarks = ParseLandmarks(landmarksFile);
        if (imageListFile is null)
            _items = landmarks.Select(kv => (kv.Key, IndexOf(kv.Key), (float[]?)kv.Value)).OrderBy(t => t.Item2).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
        else
            _items = ParseImageList(imageListFile).Select(f => (f, IndexOf(f), landmarks.GetValueOrDefault(f))).ToList();
    }

    public long Count => _items.Count;
    public bool CanMirror => true;

    public CacheSource Describe(int resolution)
    {
        var deviations = new List<string>
        {
            "CelebA-HQ's learned super-resolution / JPEG-artefact removal step (progressive_growing_of_gans dataset_tool create_celebahq with its deltas) is not applied: these are aligned CelebA photos, not the published CelebA-HQ pixels",
            "crop: the FFHQ-style oriented quad from the five CelebA points (eyes, mouth corners) by FfhqAligner, not create_celebahq's own crop arithmetic",
        };
        if (_alignSize != 1024) deviations.Add($"aligned to {_alignSize}×{_alignSize} instead of 1024");
        var options = new SortedDictionary<string, string> { ["alignSize"] = _alignSize.ToString(), ["landmarks"] = _landmarkFile };
        if (_imageList is not null) options["imageList"] = _imageList;
        return new CacheSource("celeba", _images, "CelebA-HQ alignment from img_celeba + list_landmarks_celeba.txt (five points), 2×2 box pyramid", deviations, options);
    }

    public IEnumerable<IngestItem> Enumerate(long start, long end)
    {
        for (long i = start; i < end; i++)
        {
            var (file, idx, pts) = _items[(int)i];
            yield return new IngestItem(i, file, idx < 0 ? null : idx <= LastTrainIndex ? "train" : "validation", (file, pts));
        }
    }

    public RgbImage Read(IngestItem item, int resolution)
    {
        var (file, _) = ((string, float[]?))item.Payload!;
        var path = Path.Combine(_images, file);
        if (!File.Exists(path)) throw new IngestRejectException($"file {file} is missing from {_images}");
        return ImageDecoder.Decode(path);
    }

    public RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution)
    {
        var (_, xy) = ((string, float[]?))item.Payload!;
        if (xy is null) throw new IngestRejectException("no landmarks for this image in list_landmarks_celeba.txt");
        var pts = Enumerable.Range(0, xy.Length / 2).Select(i => new Vector2(xy[2 * i], xy[2 * i + 1])).ToArray();
        FaceLandmarkCheck.Validate(pts, 5, decoded.Width, decoded.Height, pts.Length == 5 ? [pts[0], pts[1], pts[3], pts[4]] : []);
        try { return _aligner.AlignFivePoints(decoded, pts).Image; }
        catch (ArgumentException ex) { throw new IngestRejectException($"alignment failed: {ex.Message}"); }
    }

    public void Dispose() { }

    /// <summary>000001.jpg → 0 (CelebA file numbers are 1-based).</summary>
    private static int IndexOf(string file) =>
        int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n - 1 : -1;

    /// <summary>list_landmarks_celeba.txt: a count line, a header line, then "file x1 y1 … x5 y5".</summary>
    internal static Dictionary<string, float[]> ParseLandmarks(string path)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (lineNo <= 2 || parts.Length == 0) continue;
            var values = new float[10];
            bool ok = parts.Length == 11;
            for (int i = 0; ok && i < 10; i++) ok = float.TryParse(parts[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]);
            // A malformed line leaves that image without landmarks: it becomes a reject with a reason, not an abort.
            if (ok) result[parts[0]] = values;
        }
        return result;
    }

    /// <summary>CelebA-HQ index → split by its CelebA index (the orig_idx column of image_list.txt).</summary>
    public static Dictionary<int, string> HqSplits(string imageListFile)
    {
        var map = new Dictionary<int, string>();
        foreach (var line in File.ReadLines(imageListFile).Skip(1))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && int.TryParse(parts[0], out var hq) && int.TryParse(parts[1], out var orig))
                map[hq] = orig <= LastTrainIndex ? "train" : "validation";
        }
        return map;
    }

    /// <summary>CelebA-HQ image_list.txt: header "idx orig_idx orig_file proc_md5 final_md5", then rows in order.</summary>
    internal static List<string> ParseImageList(string path)
    {
        var files = new List<string>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 3) files.Add(parts[2]);
        }
        if (files.Count == 0) throw new FormatException($"{path} lists no images (expected CelebA-HQ's image_list.txt: idx orig_idx orig_file …).");
        return files;
    }
}
