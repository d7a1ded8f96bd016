using System.Numerics;
using Automodulator.Data.Faces;

namespace Automodulator.Data.Tests.Faces;

public class ShapePredictorTests
{
    public static TheoryData<string> ReferenceImages() => new(FaceFixtures.Reference.Select(r => r.Name));

    [Theory]
    [MemberData(nameof(ReferenceImages))]
    public void Landmarks_match_dlib_for_the_same_box(string image)
    {
        var reference = FaceFixtures.ReferenceFor(image);
        var img = FaceFixtures.Variant(image);
        Assert.Equal((reference.Width, reference.Height), (img.Width, img.Height));
        foreach (var shape in reference.Hog.Concat(reference.Given))
        {
            var points = FaceFixtures.Predictor.Predict(img, shape.Box);
            var rounded = ShapePredictor.RoundLikeDlib(points);
            double sum = 0, max = 0;
            for (int i = 0; i < 68; i++)
            {
                double d = Vector2.Distance(points[i], shape.Landmarks[i]);
                sum += d;
                max = Math.Max(max, d);
            }
            // dlib rounds its points to integers; ours agree exactly after the same rounding...
            Assert.Equal(shape.Landmarks, rounded);
            // ...and before it stay within the bounds.
            Assert.InRange(sum / 68, 0, 0.5);
            Assert.InRange(max, 0, 1.5);
        }
    }

    [Fact]
    public void Landmarks_follow_the_box()
    {
        var img = FaceFixtures.Astronaut;
        var box = FaceFixtures.ReferenceFor("astronaut.ppm").Hog[0].Box;
        var a = FaceFixtures.Predictor.Predict(img, box);
        var b = FaceFixtures.Predictor.Predict(img, new FaceBox(box.Left - 40, box.Top - 40, box.Right - 40, box.Bottom - 40));
        // A box moved off the face gives a different (wrong) shape: the predictor really reads the pixels.
        Assert.True(Vector2.Distance(FaceFixtures.Mean(a), FaceFixtures.Mean(b)) > 10);
    }
}
