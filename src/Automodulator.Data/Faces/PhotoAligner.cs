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
    /// Aligns the largest face (or all faces) whose box side is at least <paramref name="minFace"/> pixels.
    /// A photo without such a face comes back with <see cref="PhotoAlignment.RejectReason"/> set, not an exception.
    /// </summary>
    public PhotoAlignment Align(RgbImage photo, bool allFaces = false, int minFace = 64)
    {
        var detections = Detector.Detect(photo);
        if (detections.Count == 0)
            return new PhotoAlignment(photo.Width, photo.Height, [], detections, "no face found");
        var big = detections.Where(d => d.Box.Width >= minFace).ToList();
        if (big.Count == 0)
            return new PhotoAlignment(photo.Width, photo.Height, [], detections,
                $"face too small: the largest is {detections[0].Box.Width:F0} px, --min-face is {minFace} px");
        var chosen = allFaces ? big : big.Take(1);
        var faces = new List<PhotoFace>();
        foreach (var d in chosen)
        {
            var points = Landmarks.Predict(photo, d.Box);
            faces.Add(new PhotoFace(d, points, Aligner.AlignLandmarks68(photo, points)));
        }
        return new PhotoAlignment(photo.Width, photo.Height, faces, detections, null);
    }
}
