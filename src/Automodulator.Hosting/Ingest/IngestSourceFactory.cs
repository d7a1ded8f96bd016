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
        ["celebahq"] = "existing CelebA-HQ images in a folder (square, power-of-two side)",
        ["lsun"] = "LSUN LMDB (bedrooms etc.): centre crop + resize; never mirrored",
        ["lsun-cars"] = "LSUN cars LMDB: StyleGAN's 4:3 letterboxed crop; never mirrored",
    };

    public static IIngestSource Create(string kind, SourceSettings s)
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
                var input = Input("a folder of CelebA-HQ images");
                if (input.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || input.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException("Reading PGGAN's HDF5 (data{R}x{R}) is not supported (no HDF5 reader is available to this build). Export the images to a folder first (e.g. h5py: f['data1024x1024'][i].transpose(1, 2, 0) saved as PNG) and ingest that folder with `celebahq`.");
                // Files are named by CelebA-HQ index (00000…29999, or imgHQ00000); the split needs image_list.txt's CelebA index.
                var splits = s.ImageList is null ? null : CelebASource.HqSplits(s.ImageList);
                return new ImageFolderSource(input, alreadyAligned: true, kind: "celebahq",
                    split: splits is null ? null : rel => int.TryParse(Path.GetFileNameWithoutExtension(rel).Replace("imgHQ", ""), out var n) ? splits.GetValueOrDefault(n) : null);
            }
            case "lsun":
                return new LsunSource(Input("the LMDB folder (e.g. bedroom_train_lmdb)"));
            case "lsun-cars":
                return new LsunSource(Input("the LMDB folder (car_lmdb)"), wide: true);
            default:
                throw new ArgumentException($"Unknown source '{kind}'. Sources: {string.Join(", ", Kinds.Keys)}.");
        }
    }
}
