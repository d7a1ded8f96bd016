using System.Numerics;
using System.Text.Json;
using Automodulator.Data.Alignment;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// FFHQ from its in-the-wild photos and <c>ffhq-dataset-v2.json</c>, aligned with FFHQ's recipe
/// (NVlabs/ffhq-dataset <c>recreate_aligned_images</c>: eye and mouth centres from the 68 landmarks of
/// <c>in_the_wild.face_landmarks</c>, the oriented quad, shrink, crop, reflect-pad + blur + fade, transform, resize
/// to 1024) by <see cref="FfhqAligner"/>, then box-averaged to the cache levels. Split from each entry's category
/// ("training" → train, 60 000; "validation" → validation, 10 000). The JSON is read entry by entry (the real one is
/// 270 MB), keeping only what the recipe needs.
/// </summary>
public sealed class FfhqWildSource : IIngestSource
{
    private readonly string _root;
    private readonly string _json;
    private readonly List<Entry> _entries;
    private readonly FfhqAligner _aligner;
    private readonly int _alignSize;

    private sealed record Entry(string Key, string? Category, string? WildPath, float[]? Landmarks, string? AlignedPath);

    /// <param name="json">ffhq-dataset-v2.json.</param>
    /// <param name="root">Folder the JSON's file paths are relative to (holds in-the-wild-images/).</param>
    /// <param name="alignSize">The recipe's output size (1024); smaller only for quick previews and tests.</param>
    public FfhqWildSource(string json, string root, int alignSize = 1024)
    {
        if (!File.Exists(json)) throw new FileNotFoundException($"FFHQ metadata {json} does not exist (ffhq-dataset-v2.json).", json);
        if (!ImagePyramid.IsPowerOfTwo(alignSize)) throw new ArgumentException($"Align size {alignSize} must be a power of two.");
        _json = json;
        _root = root;
        _alignSize = alignSize;
        _aligner = new FfhqAligner(new FfhqAlignOptions { OutputSize = alignSize });
        _entries = Parse(json);
    }

    public long Count => _entries.Count;
    public bool CanMirror => true;

    public CacheSource Describe(int resolution)
    {
        var deviations = new List<string>
        {
            "warp through the smallest exact intermediate instead of transform_size 4096 (FfhqAligner fast path)",
        };
        if (_alignSize != 1024) deviations.Add($"aligned to {_alignSize}×{_alignSize} instead of the recipe's 1024");
        return new CacheSource("ffhq-wild", _json, "NVlabs/ffhq-dataset download_ffhq.py recreate_aligned_images (68 landmarks), 2×2 box pyramid", deviations,
            new SortedDictionary<string, string> { ["alignSize"] = _alignSize.ToString(), ["root"] = _root });
    }

    public IEnumerable<IngestItem> Enumerate(long start, long end)
    {
        for (long i = start; i < end; i++)
        {
            var e = _entries[(int)i];
            string? split = e.Category switch { "training" => "train", "validation" => "validation", _ => e.Category };
            yield return new IngestItem(i, e.Key, split, e);
        }
    }

    /// <summary>The in-the-wild photo an item reads (null when its entry has none).</summary>
    public string? PhotoPath(IngestItem item) => ((Entry)item.Payload!).WildPath is { } p ? Path.Combine(_root, p) : null;

    public RgbImage Read(IngestItem item, int resolution)
    {
        var e = (Entry)item.Payload!;
        if (e.WildPath is null) throw new IngestRejectException("the JSON entry has no in_the_wild.file_path");
        var path = Path.Combine(_root, e.WildPath);
        if (!File.Exists(path)) throw new IngestRejectException($"file {e.WildPath} is missing");
        return ImageDecoder.Decode(path);
    }

    public RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution)
    {
        var e = (Entry)item.Payload!;
        if (e.Landmarks is null) throw new IngestRejectException("the JSON entry has no in_the_wild.face_landmarks");
        if (_alignSize < resolution) throw new ArgumentException($"Align size {_alignSize} is below the cache resolution {resolution}.");
        var pts = new Vector2[e.Landmarks.Length / 2];
        for (int i = 0; i < pts.Length; i++) pts[i] = new Vector2(e.Landmarks[2 * i], e.Landmarks[2 * i + 1]);
        if (pts.Length == 68)
        {
            var eyes = new[] { Mean(pts, 36, 42), Mean(pts, 42, 48), pts[48], pts[54] };
            FaceLandmarkCheck.Validate(pts, 68, decoded.Width, decoded.Height, eyes);
        }
        else FaceLandmarkCheck.Validate(pts, 68, decoded.Width, decoded.Height, []);
        try { return _aligner.AlignLandmarks68(decoded, pts).Image; }
        catch (ArgumentException ex) { throw new IngestRejectException($"alignment failed: {ex.Message}"); }
    }

    private static Vector2 Mean(Vector2[] p, int from, int to)
    {
        var s = Vector2.Zero;
        for (int i = from; i < to; i++) s += p[i];
        return s / (to - from);
    }

    public void Dispose() { }

    /// <summary>
    /// train / validation of each released aligned image, keyed by its path relative to the dataset root
    /// (image.file_path, e.g. images1024x1024/00000/00000.png), for splitting an aligned-PNG ingest.
    /// </summary>
    public static Dictionary<string, string> AlignedSplits(string json)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in Parse(json))
            if (e.AlignedPath is not null && e.Category is not null)
                map[e.AlignedPath] = e.Category switch { "training" => "train", "validation" => "validation", _ => e.Category };
        return map;
    }

    private static List<Entry> Parse(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        var list = new List<Entry>();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new FormatException($"{path} is not an ffhq-dataset-v2.json: expected an object of entries.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                reader.Read();
                using var doc = JsonDocument.ParseValue(ref reader);
                var root = doc.RootElement;
                string? category = root.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                string? wild = null;
                float[]? lm = null;
                if (root.TryGetProperty("in_the_wild", out var w) && w.ValueKind == JsonValueKind.Object)
                {
                    if (w.TryGetProperty("file_path", out var fp) && fp.ValueKind == JsonValueKind.String) wild = fp.GetString();
                    if (w.TryGetProperty("face_landmarks", out var l) && l.ValueKind == JsonValueKind.Array)
                        lm = l.EnumerateArray().SelectMany(p => p.ValueKind == JsonValueKind.Array ? p.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetSingle() : float.NaN) : [float.NaN, float.NaN]).ToArray();
                }
                string? aligned = root.TryGetProperty("image", out var im) && im.ValueKind == JsonValueKind.Object
                    && im.TryGetProperty("file_path", out var ip) && ip.ValueKind == JsonValueKind.String ? ip.GetString() : null;
                list.Add(new Entry(key, category, wild, lm, aligned));
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path} is not valid JSON: {e.Message}", e);
        }
        return list;
    }
}
