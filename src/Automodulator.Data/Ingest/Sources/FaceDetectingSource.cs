using System.Numerics;
using System.Text.Json.Nodes;
using Automodulator.Data.Cache;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// <c>--detect</c>: any photo source whose photos have no landmarks (an image folder, CelebA-HQ images, LSUN) with its
/// align stage replaced by face detection + dlib's 68 landmarks + FFHQ's recipe (<see cref="PhotoAligner"/>), i.e.
/// what NVlabs/ffhq-dataset did to make FFHQ from its in-the-wild photos (dlib landmarks, then
/// <c>recreate_aligned_images</c>). The largest face whose box side is at least <c>minFace</c> pixels is kept; a photo
/// without one is a reject with the reason ("no face found", "face too small …"), never an abort. Each kept item
/// records its detection (box, landmark count, aligned eye centres) in items.jsonl.
/// </summary>
public sealed class FaceDetectingSource : IIngestSource
{
    private readonly IIngestSource _inner;
    private readonly PhotoAligner _aligner;
    private readonly int _minFace;
    private readonly string _landmarkModel;

    /// <param name="inner">The photo source; its Read stage is used as is, its crop is replaced.</param>
    /// <param name="aligner">Detector, landmarker and FFHQ aligner (its output size is the recipe's 1024 or smaller).</param>
    /// <param name="minFace">Smallest face box side (pixels of the photo) that is kept.</param>
    /// <param name="landmarkModel">Path of the dlib model in use (its file name goes into the manifest).</param>
    public FaceDetectingSource(IIngestSource inner, PhotoAligner aligner, int minFace, string landmarkModel)
    {
        if (minFace < 1) throw new ArgumentException($"--min-face {minFace} must be at least 1 pixel.");
        _inner = inner;
        _aligner = aligner;
        _minFace = minFace;
        _landmarkModel = landmarkModel;
    }

    /// <summary>Wraps <paramref name="inner"/> with the standard detector and the located landmark model.</summary>
    /// <param name="landmarkModel">--landmark-model, or null to search AUTOMOD_DLIB_MODEL and the standard places.</param>
    public static FaceDetectingSource Create(IIngestSource inner, string? landmarkModel, int alignSize, int minFace)
    {
        if (!ImagePyramid.IsPowerOfTwo(alignSize)) throw new ArgumentException($"Align size {alignSize} must be a power of two.");
        var model = DlibModelLocator.Locate(landmarkModel);
        return new FaceDetectingSource(inner, PhotoAligner.Create(model, alignSize, minFace), minFace, model);
    }

    public long Count => _inner.Count;

    /// <summary>The output is an FFHQ-aligned face whatever the photos were, and faces mirror.</summary>
    public bool CanMirror => true;

    public int AlignSize => _aligner.Aligner.Options.OutputSize;

    public CacheSource Describe(int resolution)
    {
        var inner = _inner.Describe(resolution);
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in inner.Options) options[k] = v;
        options["aligned"] = "true";
        options["detect"] = "true";
        options["detector"] = Path.GetFileName(FaceDetector.DefaultCascadePath);
        options["landmarkModel"] = Path.GetFileName(_landmarkModel);
        options["minFace"] = _minFace.ToString();
        options["alignSize"] = AlignSize.ToString();
        var deviations = new List<string>
        {
            "landmarks from face detection (OpenCV Haar cascade, boxes calibrated to dlib's HOG detector) and dlib's 68-point shape predictor run by this build, not from a landmark file",
            "one face per photo: the largest whose box side is at least minFace pixels; photos without one are rejected",
            "warp through the smallest exact intermediate instead of transform_size 4096 (FfhqAligner fast path)",
            $"the source's own crop ({inner.Recipe}) is replaced by the alignment",
        };
        if (AlignSize != 1024) deviations.Add($"aligned to {AlignSize}×{AlignSize} instead of the recipe's 1024");
        return new CacheSource(inner.Kind, inner.Location,
            "face detection + dlib 68 landmarks + NVlabs/ffhq-dataset recreate_aligned_images, 2×2 box pyramid", deviations, options);
    }

    public IEnumerable<IngestItem> Enumerate(long start, long end) => _inner.Enumerate(start, end);

    public RgbImage Read(IngestItem item, int resolution) => _inner.Read(item, resolution);

    public RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution) => PrepareItem(item, decoded, resolution).Image;

    public PreparedImage PrepareItem(IngestItem item, RgbImage decoded, int resolution)
    {
        if (AlignSize < resolution) throw new ArgumentException($"Align size {AlignSize} is below the cache resolution {resolution}.");
        var result = _aligner.Align(decoded, allFaces: false, minFace: _minFace);
        if (!result.Succeeded) throw new IngestRejectException(result.RejectReason!);
        var face = result.Faces[0];
        return new PreparedImage(face.Aligned.Image, Describe(result, face));
    }

    /// <summary>items.jsonl's <c>detection</c>: the box (x, y, w, h in photo pixels), how many faces were found,
    /// the landmark count, and where the eye centres landed in the aligned image (pixels of the align size).</summary>
    private JsonObject Describe(PhotoAlignment result, PhotoFace face)
    {
        static double R(double v) => Math.Round(v, 2);
        var b = face.Detection.Box;
        var lm = face.Landmarks;
        var eyeL = face.Aligned.ToAligned(Mean(lm, 36, 42));
        var eyeR = face.Aligned.ToAligned(Mean(lm, 42, 48));
        return new JsonObject
        {
            ["box"] = new JsonArray(R(b.Left), R(b.Top), R(b.Width), R(b.Height)),
            ["faces"] = result.DetectedFaces,
            ["landmarks"] = lm.Length,
            ["alignSize"] = AlignSize,
            ["eyes"] = new JsonArray(new JsonArray(R(eyeL.X), R(eyeL.Y)), new JsonArray(R(eyeR.X), R(eyeR.Y))),
        };
    }

    private static Vector2 Mean(Vector2[] p, int from, int to)
    {
        var s = Vector2.Zero;
        for (int i = from; i < to; i++) s += p[i];
        return s / (to - from);
    }

    public void Dispose() => _inner.Dispose();
}
