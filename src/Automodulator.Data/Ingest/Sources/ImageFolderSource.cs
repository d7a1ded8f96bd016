using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// Any folder tree of JPEG / PNG / WebP images (EXIF orientation honoured by the decoder), in ordinal order of their
/// relative paths; each is centre-cropped to a square and resized to the target with Lanczos (PIL's ANTIALIAS), the
/// LSUN recipe of StyleGAN's dataset_tool. Images smaller than the target are rejected rather than upscaled.
/// With <paramref name="alreadyAligned"/> (FFHQ's images1024x1024, CelebA-HQ folders) images must be square with
/// a power-of-two side ≥ the target and go to the pyramid untouched, as dataset_tool's create_from_images does.
/// </summary>
public sealed class ImageFolderSource : IIngestSource
{
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp"];
    private readonly string _root;
    private readonly string[] _files;
    private readonly bool _aligned;
    private readonly string _kind;
    private readonly Func<string, string?> _split;

    public ImageFolderSource(string root, bool alreadyAligned = false, string kind = "folder", Func<string, string?>? split = null)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Image folder {root} does not exist.");
        _root = root;
        _aligned = alreadyAligned;
        _kind = kind;
        _split = split ?? (_ => null);
        _files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
        if (_files.Length == 0) throw new ArgumentException($"No JPEG, PNG or WebP images under {root}.");
    }

    public long Count => _files.Length;
    public bool CanMirror => true;

    public CacheSource Describe(int resolution) => _aligned
        ? new CacheSource(_kind, _root, "StyleGAN dataset_tool create_from_images (already aligned square images, 2×2 box pyramid)",
            ["images that are not square with a power-of-two side are rejected instead of aborting the run"],
            new SortedDictionary<string, string> { ["aligned"] = "true" })
        : new CacheSource(_kind, _root, "centre crop to square, Lanczos resize (StyleGAN dataset_tool create_lsun crop), 2×2 box pyramid",
            ["images smaller than the target are rejected, not upscaled"],
            new SortedDictionary<string, string> { ["aligned"] = "false" });

    public IEnumerable<IngestItem> Enumerate(long start, long end)
    {
        for (long i = start; i < end; i++) yield return new IngestItem(i, _files[i], _split(_files[i]), Path.Combine(_root, _files[i]));
    }

    public RgbImage Read(IngestItem item, int resolution) => ImageDecoder.Decode((string)item.Payload!);

    public RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution)
    {
        if (!_aligned) return SquareCrop.CenterCropResize(decoded, resolution);
        if (decoded.Width != decoded.Height || !ImagePyramid.IsPowerOfTwo(decoded.Width))
            throw new IngestRejectException($"aligned images must be square with a power-of-two side; this one is {decoded.Width}×{decoded.Height}");
        if (decoded.Width < resolution) throw new IngestRejectException($"image is {decoded.Width}×{decoded.Height}, smaller than the {resolution}×{resolution} target");
        return decoded;
    }

    public void Dispose() { }
}
