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
    public void Simd_stage_evaluation_gives_the_scalar_cascade_s_detections(string variant)
    {
        var image = variant == "astronaut.ppm" ? FaceFixtures.Astronaut : FaceFixtures.Variant(variant);
        var simd = Detector().Detect(image);
        var scalar = FaceDetector.Load(options: new FaceDetectorOptions { Simd = false }).Detect(image);
        Assert.NotEmpty(scalar);
        Assert.Equal(scalar, simd);
    }
}
