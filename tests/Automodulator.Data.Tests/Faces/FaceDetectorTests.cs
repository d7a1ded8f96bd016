using System.Numerics;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Tests.Faces;

public class FaceDetectorTests
{
    private static FaceDetector Detector(int maxSide = 640) =>
        FaceDetector.Load(options: new FaceDetectorOptions { MaxDetectionSide = maxSide });

    [Fact]
    public void Finds_the_one_face_in_the_astronaut_photo_where_dlib_does()
    {
        var faces = Detector().Detect(FaceFixtures.Astronaut);
        var face = Assert.Single(faces);
        var hog = FaceFixtures.ReferenceFor("astronaut.ppm").Hog[0].Box;
        // The calibrated box stands in for dlib's HOG box.
        Assert.True(face.Box.IoU(hog) > 0.8, $"IoU with dlib's box {face.Box.IoU(hog):F2}");
        Assert.True(face.CascadeBox.IoU(hog) < face.Box.IoU(hog), "calibration should bring the box closer to dlib's");
    }

    [Fact]
    public void Finds_no_face_in_a_face_free_image()
    {
        Assert.Empty(Detector().Detect(FaceFixtures.FaceFree()));
    }

    [Fact]
    public void Landmarks_from_its_box_put_the_eyes_where_the_reference_does()
    {
        var img = FaceFixtures.Astronaut;
        var box = Detector().Detect(img)[0].Box;
        var ours = FaceFixtures.Predictor.Predict(img, box);
        var reference = FaceFixtures.ReferenceFor("astronaut.ppm").Hog[0].Landmarks;
        foreach (var (from, to) in new[] { (36, 42), (42, 48) })
        {
            var d = Vector2.Distance(FaceFixtures.Mean(ours.AsSpan(from, 6)), FaceFixtures.Mean(reference.AsSpan(from, 6)));
            Assert.True(d < 2.0, $"eye {from}-{to - 1} is {d:F2} px from dlib's");
        }
    }

    [Fact]
    public void Huge_image_is_detected_downscaled_and_landmarked_at_full_resolution()
    {
        var a = FaceFixtures.Astronaut;
        var huge = FaceFixtures.Map(a, a.Width * 5, a.Height * 5, (x, y) => (x / 5, y / 5)); // 2560×2560, 6.6 MP
        var face = Assert.Single(Detector(512).Detect(huge));
        var points = FaceFixtures.Predictor.Predict(huge, face.Box);
        var reference = FaceFixtures.ReferenceFor("astronaut.ppm").Hog[0].Landmarks;
        // Pixel (x, y) of the small image covers [5x, 5x+5): its centre is at 5x + 2.
        var leftEye = FaceFixtures.Mean(points.AsSpan(36, 6));
        var expected = FaceFixtures.Mean(reference.AsSpan(36, 6)) * 5 + new Vector2(2, 2);
        Assert.True(Vector2.Distance(leftEye, expected) < 10, $"left eye {leftEye} vs {expected}");
        Assert.True(face.Box.Width > 300, "the box is in full-resolution pixels");
    }

    [Fact]
    public void Grayscale_photo_still_finds_the_face()
    {
        Assert.Single(Detector().Detect(FaceFixtures.Variant("astronaut_gray.ppm")));
    }

    [Fact]
    public void Cascade_that_is_not_xml_is_rejected_with_reason()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cascade-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, "not xml");
        try
        {
            Assert.Throws<FormatException>(() => HaarCascade.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("astronaut.ppm")]
    [InlineData("astronaut_half.ppm")]
    [InlineData("astronaut_double.ppm")]
    public void Simd_stage_evaluation_gives_the_scalar_cascade_s_detections(string variant)
    {
        // Every cluster, however weak, and every verifier count: both cascades (alt2's two-node trees, the verifier's
        // stumps), blocks of consecutive windows and packed survivors, step 1 and step 2 levels.
        var image = FaceFixtures.Variant(variant);
        var all = new FaceDetectorOptions { MinNeighbors = 0, MinVerifierHits = 0 };
        var simd = FaceDetector.Load(options: all).Detect(image);
        var scalar = FaceDetector.Load(options: all with { Simd = false }).Detect(image);
        Assert.True(scalar.Count > 1, "weak clusters expected besides the face");
        Assert.Equal(scalar, simd);
    }

    [Fact]
    public void Half_size_portrait_gives_exactly_the_one_face_where_dlib_puts_it()
    {
        var half = FaceFixtures.Variant("astronaut_half.ppm");
        // dlib's box for the full-size portrait, halved (pixel (x, y) of the half image covers 2x, 2x+1).
        var expected = FaceFixtures.ReferenceFor("astronaut.ppm").Hog[0].Box.Scaled(0.5);
        var face = Assert.Single(Detector().Detect(half));
        Assert.True(face.Box.IoU(expected) > 0.7, $"box {face.Box} vs dlib's halved {expected} (IoU {face.Box.IoU(expected):F2})");
        Assert.True(face.VerifierHits >= new FaceDetectorOptions().MinVerifierHits, $"verifier hits {face.VerifierHits}");

        // Without the verifier alt2 also fires on the space-suit collar, with a box larger than the face's.
        var unverified = FaceDetector.Load(options: new FaceDetectorOptions { VerifierCascadePath = null }).Detect(half);
        Assert.Equal(2, unverified.Count);
        Assert.True(unverified[0].Box.IoU(expected) < 0.1, "the false positive is the largest detection without the verifier");
        Assert.All(unverified, d => Assert.Equal(-1, d.VerifierHits));
    }

    [Fact]
    public void Verifier_cascade_that_is_missing_names_the_package()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FaceDetector.Load(options: new FaceDetectorOptions { VerifierCascadePath = "/nonexistent/haarcascade_frontalface_default.xml" }));
        Assert.Contains("opencv-data", e.Message);
    }
}
