using System.Numerics;
using Automodulator.Data.Alignment;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Faces;

/// <summary>One face found in a photo: detector box, dlib's 68 landmarks (full-resolution pixels) and the FFHQ crop.</summary>
public sealed record PhotoFace(FaceDetection Detection, Vector2[] Landmarks, AlignedFace Aligned);

/// <summary>What became of one photo: its faces, or the reason there are none.</summary>
public sealed record PhotoAlignment(int Width, int Height, IReadOnlyList<PhotoFace> Faces, IReadOnlyList<FaceDetection> Detections, string? RejectReason)
{
    public int DetectedFaces => Detections.Count;

    public bool Succeeded => RejectReason is null;
}

/// <summary>
/// Any photo → FFHQ-aligned face crops: detect on a downscaled copy (<see cref="FaceDetector"/>), place dlib's 68
/// landmarks at full resolution (<see cref="ShapePredictor"/>), then FFHQ's recipe (<see cref="FfhqAligner"/>).
/// </summary>
public sealed class PhotoAligner
{
    public PhotoAligner(FaceDetector detector, ShapePredictor landmarks, FfhqAligner aligner)
    {
        Detector = detector;
        Landmarks = landmarks;
        Aligner = aligner;
    }

    public FaceDetector Detector { get; }
    public ShapePredictor Landmarks { get; }
    public FfhqAligner Aligner { get; }

    /// <summary>The standard stack: default cascade, the located dlib model, the recipe at <paramref name="size"/>.</summary>
    public static PhotoAligner Create(string? landmarkModel = null, int size = 1024, int minFace = 24)
    {
        var predictor = ShapePredictor.Load(DlibModelLocator.Locate(landmarkModel));
        var detector = FaceDetector.Load(options: new FaceDetectorOptions { MinFaceSize = Math.Max(1, Math.Min(minFace, 24)) });
        return new PhotoAligner(detector, predictor, new FfhqAligner(new FfhqAlignOptions { OutputSize = size }));
    }

    /// <summary>
    /// <see cref="Align(RgbImage, bool, int)"/> for an encoded photo, decoding no more than it needs: detection on a
    /// reduced decode (JPEG DCT scaling), full resolution only around the chosen faces (see <see cref="PartialPhoto"/>).
    /// Landmarks and crops equal those from the fully decoded photo; the detection image is the same size, but its
    /// pixels come from the decoder's scaling instead of an area average. Reads that would leave the decoded region
    /// widen it first, so nothing outside is ever used.
    /// </summary>
    public PhotoAlignment Align(PartialPhoto photo, bool allFaces = false, int minFace = 64)
    {
        int factor = Detector.DetectionFactor(photo.Width, photo.Height);
        var small = photo.Reduced(factor);
        var detections = Detector.Detect(small, (double)photo.Width / small.Width);
        var reject = Choose(detections, allFaces, minFace, out var chosen);
        if (reject is not null) return new PhotoAlignment(photo.Width, photo.Height, [], detections, reject);

        var guess = default(PixelRect);
        foreach (var d in chosen) guess = guess.Union(FirstRegion(d.Box));
        photo.EnsureDecoded(guess);
        var faces = new List<PhotoFace>();
        foreach (var d in chosen)
        {
            var points = Landmarks.Predict(photo.Canvas, d.Box, photo.Decoded, out bool inside);
            if (!inside)
            {
                photo.EnsureDecoded(new PixelRect(0, 0, photo.Width, photo.Height));
                points = Landmarks.Predict(photo.Canvas, d.Box);
            }
            var quad = FaceQuad.FromLandmarks68(points, Aligner.Options.RotateLevel);
            var (x0, y0, x1, y1) = Aligner.SourceRegion(quad, photo.Width, photo.Height);
            photo.EnsureDecoded(new PixelRect(x0, y0, x1, y1));
            faces.Add(new PhotoFace(d, points, Aligner.Align(photo.Canvas, quad)));
        }
        return new PhotoAlignment(photo.Width, photo.Height, faces, detections, null);
    }

    /// <summary>
    /// The full-resolution rectangle decoded first for a detected face: landmark features and the FFHQ crop stay
    /// within about 1.5 box sides of the box centre for upright faces (reads beyond it widen it later).
    /// </summary>
    public static PixelRect FirstRegion(FaceBox box)
    {
        double r = box.Width * 1.6;
        return new PixelRect((int)Math.Floor(box.CenterX - r), (int)Math.Floor(box.CenterY - r), (int)Math.Ceiling(box.CenterX + r) + 1, (int)Math.Ceiling(box.CenterY + r) + 1);
    }

    private static string? Choose(IReadOnlyList<FaceDetection> detections, bool allFaces, int minFace, out List<FaceDetection> chosen)
    {
        chosen = [];
        if (detections.Count == 0) return "no face found";
        var big = detections.Where(d => d.Box.Width >= minFace).ToList();
        if (big.Count == 0) return $"face too small: the largest is {detections[0].Box.Width:F0} px, --min-face is {minFace} px";
        chosen = allFaces ? big : big.Take(1).ToList();
        return null;
    }

    /// <summary>
    /// Aligns the largest face (or all faces) whose box side is at least <paramref name="minFace"/> pixels.
    /// A photo without such a face comes back with <see cref="PhotoAlignment.RejectReason"/> set, not an exception.
    /// </summary>
    public PhotoAlignment Align(RgbImage photo, bool allFaces = false, int minFace = 64)
    {
        var detections = Detector.Detect(photo);
        var reject = Choose(detections, allFaces, minFace, out var chosen);
        if (reject is not null) return new PhotoAlignment(photo.Width, photo.Height, [], detections, reject);
        var faces = new List<PhotoFace>();
        foreach (var d in chosen)
        {
            var points = Landmarks.Predict(photo, d.Box);
            faces.Add(new PhotoFace(d, points, Aligner.AlignLandmarks68(photo, points)));
        }
        return new PhotoAlignment(photo.Width, photo.Height, faces, detections, null);
    }
}
