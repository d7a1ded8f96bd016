using Automodulator.Data.Alignment;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Tests.Faces;

public class PhotoAlignerTests
{
    private static PhotoAligner Pipeline(int size = 128) =>
        new(FaceDetector.Load(), FaceFixtures.Predictor, new FfhqAligner(new FfhqAlignOptions { OutputSize = size }));

    [Fact]
    public void Portrait_gives_one_aligned_face()
    {
        var r = Pipeline().Align(FaceFixtures.Astronaut);
        Assert.True(r.Succeeded, r.RejectReason);
        var face = Assert.Single(r.Faces);
        Assert.Equal(128, face.Aligned.Image.Width);
        Assert.Equal(68, face.Landmarks.Length);
    }

    [Fact]
    public void Photo_without_face_is_a_reject_with_reason_not_an_exception()
    {
        var r = Pipeline().Align(FaceFixtures.FaceFree());
        Assert.False(r.Succeeded);
        Assert.Equal("no face found", r.RejectReason);
        Assert.Empty(r.Faces);
    }

    [Fact]
    public void Tiny_face_is_a_reject_that_names_the_minimum()
    {
        var r = Pipeline().Align(FaceFixtures.Variant("astronaut_half.ppm"), minFace: 200);
        Assert.False(r.Succeeded);
        Assert.Contains("face too small", r.RejectReason);
        Assert.Contains("200", r.RejectReason);
    }

    [Fact]
    public void Largest_face_of_the_half_size_portrait_is_the_face()
    {
        var r = Pipeline().Align(FaceFixtures.Variant("astronaut_half.ppm"), minFace: 1);
        Assert.True(r.Succeeded, r.RejectReason);
        var face = Assert.Single(r.Faces);
        Assert.Equal(1, r.DetectedFaces);
        // The eyes land where dlib's do on the full-size portrait, halved.
        var eye = FaceFixtures.Mean(face.Landmarks.AsSpan(36, 6));
        var expected = FaceFixtures.Mean(FaceFixtures.ReferenceFor("astronaut.ppm").Hog[0].Landmarks.AsSpan(36, 6)) / 2;
        Assert.True(System.Numerics.Vector2.Distance(eye, expected) < 3, $"left eye at {eye}, expected near {expected}");
    }

    [Fact]
    public void Grayscale_photo_aligns()
    {
        Assert.True(Pipeline().Align(FaceFixtures.Variant("astronaut_gray.ppm")).Succeeded);
    }
}
