using Automodulator.Data.Ingest;
using Automodulator.Data.Ingest.Sources;

namespace Automodulator.Hosting.Ingest;

/// <summary>Source-specific settings from the command line.</summary>
public sealed record SourceSettings
{
    public string? Input { get; init; }
    public string? Json { get; init; }
    public string? Landmarks { get; init; }
    public string? ImageList { get; init; }
    public long Count { get; init; } = 1000;
    public ulong Seed { get; init; }
    public bool FlipPairs { get; init; }
    public int AlignSize { get; init; } = 1024;

    /// <summary>--detect: face detection + 68 landmarks + FFHQ recipe instead of the source's crop (photo sources).</summary>
    public bool Detect { get; init; }

    /// <summary>--landmark-model: dlib's shape_predictor_68_face_landmarks.dat (else AUTOMOD_DLIB_MODEL, /usr/share/dlib).</summary>
    public string? LandmarkModel { get; init; }

    /// <summary>--min-face: smallest face box side, in photo pixels, that --detect keeps.</summary>
    public int MinFace { get; init; } = 64;
}

/// <summary>Turns a source kind name and its settings into an <see cref="IIngestSource"/>.</summary>
public static class IngestSourceFactory
{
    public static readonly IReadOnlyDictionary<string, string> Kinds = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["synthetic"] = "procedural faces with known factors (--count, --seed, --flip-pairs)",
        ["folder"] = "any folder tree of JPEG/PNG/WebP: centre crop + Lanczos resize",
        ["ffhq-aligned"] = "FFHQ's released images1024x1024 PNGs (INPUT = that folder; --json for the train/validation split)",
        ["ffhq-wild"] = "FFHQ in-the-wild photos + ffhq-dataset-v2.json, FFHQ alignment recipe (INPUT = dataset root, --json)",
        ["celeba"] = "CelebA img_celeba + list_landmarks_celeba.txt (--landmarks, --image-list for the CelebA-HQ 30k)",
        ["celebahq"] = "existing CelebA-HQ images in a folder (square, power-of-two side), or an h5tool .h5 file (as celebahq-h5)",
        ["celebahq-h5"] = "CelebA-HQ in progressive_growing_of_gans' h5tool HDF5 layout (data{R}x{R} datasets; INPUT = the .h5 file)",
        ["lsun"] = "LSUN LMDB (bedrooms etc.): centre crop + resize; never mirrored",
        ["lsun-cars"] = "LSUN cars LMDB: StyleGAN's 4:3 letterboxed crop; never mirrored",
    };

    /// <summary>Source kinds whose photos come without landmarks, so <c>--detect</c> can align them.</summary>
    public static readonly IReadOnlySet<string> DetectableKinds = new SortedSet<string>(StringComparer.Ordinal)
    {
        "folder", "ffhq-aligned", "celebahq", "celebahq-h5", "lsun", "lsun-cars",
    };

    public static IIngestSource Create(string kind, SourceSettings s)
    {
        if (s.Detect && !DetectableKinds.Contains(kind))
            throw new ArgumentException(kind == "synthetic" || !Kinds.ContainsKey(kind)
                ? $"--detect works on photo sources ({string.Join(", ", DetectableKinds)}), not on '{kind}'."
                : $"--detect works on photo sources ({string.Join(", ", DetectableKinds)}); '{kind}' already comes with landmarks and its own alignment recipe.");
        var source = CreatePhotoSource(kind, s);
        if (!s.Detect) return source;
        try
        {
            return FaceDetectingSource.Create(source, s.LandmarkModel, s.AlignSize, s.MinFace);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static IIngestSource CreatePhotoSource(string kind, SourceSettings s)
    {
        string Input(string what) => s.Input ?? throw new ArgumentException($"Source {kind} needs INPUT: {what}.");
        switch (kind)
        {
            case "synthetic":
                return new SyntheticIngestSource(s.Count, s.Seed, s.FlipPairs);
            case "folder":
                return new ImageFolderSource(Input("a folder of images"));
            case "ffhq-aligned":
            {
                var folder = Input("the images1024x1024 folder");
                Func<string, string?>? split = null;
                if (s.Json is not null)
                {
                    var map = FfhqWildSource.AlignedSplits(s.Json);
                    var prefix = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
                    split = rel => map.GetValueOrDefault($"{prefix}/{rel}") ?? map.GetValueOrDefault(rel);
                }
                return new ImageFolderSource(folder, alreadyAligned: true, kind: "ffhq-aligned", split);
            }
            case "ffhq-wild":
            {
                var root = Input("the FFHQ root (holding in-the-wild-images/)");
                return new FfhqWildSource(s.Json ?? Path.Combine(root, "ffhq-dataset-v2.json"), root, s.AlignSize);
            }
            case "celeba":
                return new CelebASource(Input("the img_celeba folder"),
                    s.Landmarks ?? throw new ArgumentException("Source celeba needs --landmarks list_landmarks_celeba.txt."), s.ImageList, s.AlignSize);
            case "celebahq":
            {
                var input = Input("a folder of CelebA-HQ images or an h5tool .h5 file");
                // A file (not a folder) can only be the HDF5 layout; its reader says clearly if it is not one.
                if (File.Exists(input)) return new CelebAHqH5Source(input, s.ImageList);
                // Files are named by CelebA-HQ index (00000…29999, imgHQ00000, or h5tool extract's img00000000); the split
                // needs image_list.txt's CelebA index.
                var splits = s.ImageList is null ? null : CelebASource.HqSplits(s.ImageList);
                return new ImageFolderSource(input, alreadyAligned: true, kind: "celebahq",
                    split: splits is null ? null : rel => int.TryParse(Path.GetFileNameWithoutExtension(rel).Replace("imgHQ", "").Replace("img", ""), out var n) ? splits.GetValueOrDefault(n) : null);
            }
            case "celebahq-h5":
                return new CelebAHqH5Source(Input("the .h5 file made by h5tool.py (e.g. celebahq.h5)"), s.ImageList);
            case "lsun":
                return new LsunSource(Input("the LMDB folder (e.g. bedroom_train_lmdb)"));
            case "lsun-cars":
                return new LsunSource(Input("the LMDB folder (car_lmdb)"), wide: true);
            default:
                throw new ArgumentException($"Unknown source '{kind}'. Sources: {string.Join(", ", Kinds.Keys)}.");
        }
    }
}
