using System.Numerics;
using Automodulator.Data.Alignment;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;
using Automodulator.Data.Tests.Faces;

namespace Automodulator.Data.Tests.Alignment;

public class FfhqAlignerTests
{
    private static Vector2[] AstronautLandmarks => FaceFixtures.ReferenceFor("astronaut.ppm").Hog[0].Landmarks;

    /// <summary>Share of channel values within 2 grey levels, and the mean absolute difference.</summary>
    private static (double Within2, double Mean) Compare(RgbImage a, RgbImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        long close = 0;
        double sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            int d = Math.Abs(a.Pixels[i] - b.Pixels[i]);
            sum += d;
            if (d <= 2) close++;
        }
        return ((double)close / a.Pixels.Length, sum / a.Pixels.Length);
    }

    [Theory]
    [InlineData("astronaut.ppm", "astronaut_ffhq256_recipe.png", false)]
    [InlineData("astronaut_crop.ppm", "astronaut_crop_ffhq256_recipe.png", true)]
    public void Aligned_image_matches_the_ffhq_recipe_output(string source, string recipeOutput, bool padded)
    {
        // The fixtures are NVlabs' recreate_aligned_images steps run with PIL 9.4 + SciPy 1.10 on dlib's landmarks.
        var img = FaceFixtures.Variant(source);
        var landmarks = FaceFixtures.ReferenceFor(source).Hog[0].Landmarks;
        var result = new FfhqAligner(new FfhqAlignOptions { OutputSize = 256 }).AlignLandmarks68(img, landmarks);
        Assert.Equal(padded, result.Padded);
        var expected = ImageDecoder.Decode(Path.Combine(FaceFixtures.Dir, "faces", recipeOutput));
        var (within2, mean) = Compare(result.Image, expected);
        Assert.True(within2 > 0.995, $"{within2:P2} of values within 2 levels");
        Assert.True(mean < 1.0, $"mean difference {mean:F2}");
    }

    [Fact]
    public void Astronaut_eyes_come_out_level_at_the_recipe_positions()
    {
        const int size = 1024;
        var lm = AstronautLandmarks;
        var result = new FfhqAligner(new FfhqAlignOptions { OutputSize = size }).AlignLandmarks68(FaceFixtures.Astronaut, lm);
        var eyeL = result.ToAligned(FaceFixtures.Mean(lm.AsSpan(36, 6)));
        var eyeR = result.ToAligned(FaceFixtures.Mean(lm.AsSpan(42, 6)));
        var mouth = result.ToAligned((lm[48] + lm[54]) / 2);
        double angle = Math.Atan2(eyeR.Y - eyeL.Y, eyeR.X - eyeL.X) * 180 / Math.PI;
        Assert.InRange(Math.Abs(angle), 0, 0.5);

        // The recipe's geometry, recomputed independently: the quad side is max(2·|eye-to-eye|, 1.8·|eye-to-mouth|),
        // its centre 10% of the way from the eye midpoint to the mouth, its x axis along eye-to-eye minus the
        // eye-to-mouth vector turned by 90°.
        var l = FaceFixtures.Mean(lm.AsSpan(36, 6));
        var r = FaceFixtures.Mean(lm.AsSpan(42, 6));
        var eyeToEye = r - l;
        var eyeToMouth = (lm[48] + lm[54]) / 2 - (l + r) / 2;
        float side = 2 * MathF.Max(eyeToEye.Length() * 2, eyeToMouth.Length() * 1.8f);
        float scale = size / side;
        Assert.Equal(eyeToEye.Length() * scale, Vector2.Distance(eyeL, eyeR), 0.5f);
        var xAxis = Vector2.Normalize(eyeToEye - new Vector2(-eyeToMouth.Y, eyeToMouth.X));
        var yAxis = new Vector2(-xAxis.Y, xAxis.X);
        var eyeMid = (eyeL + eyeR) / 2;
        var expectedMid = new Vector2(size / 2f - 0.5f, size / 2f - 0.5f) - new Vector2(Vector2.Dot(eyeToMouth, xAxis), Vector2.Dot(eyeToMouth, yAxis)) * 0.1f * scale;
        Assert.True(Vector2.Distance(eyeMid, expectedMid) < 0.5f, $"eye midpoint {eyeMid} vs {expectedMid}");
        Assert.True(mouth.Y > eyeMid.Y + 0.2f * size * 0.5f, "the mouth sits well below the eyes");

        // And the pixels went there: dlib's landmarks found again on the aligned image agree with the mapped ones.
        var mapped = lm.Select(p => result.ToAligned(p)).ToArray();
        float minX = mapped.Min(p => p.X), maxX = mapped.Max(p => p.X), minY = mapped.Min(p => p.Y), maxY = mapped.Max(p => p.Y);
        var box = new FaceBox(minX, minY - (maxY - minY) * 0.15, maxX, maxY);
        var again = FaceFixtures.Predictor.Predict(result.Image, box);
        var eyeAgain = FaceFixtures.Mean(again.AsSpan(36, 6));
        Assert.True(Vector2.Distance(eyeAgain, eyeL) < 0.02f * size, $"eye found at {eyeAgain}, mapped to {eyeL}");
    }

    [Fact]
    public void Five_point_alignment_uses_the_same_quad_as_68_points()
    {
        var lm = AstronautLandmarks;
        var five = new[] { FaceFixtures.Mean(lm.AsSpan(36, 6)), FaceFixtures.Mean(lm.AsSpan(42, 6)), lm[30], lm[48], lm[54] };
        var q68 = FaceQuad.FromLandmarks68(lm);
        var q5 = FaceQuad.FromFivePoints(five);
        Assert.Equal(q68.CenterX, q5.CenterX, 3);
        Assert.Equal(q68.CenterY, q5.CenterY, 3);
        Assert.Equal(q68.AxisX, q5.AxisX, 3);
        Assert.Equal(q68.AxisY, q5.AxisY, 3);
        var interleaved = five.SelectMany(p => new[] { p.X, p.Y }).ToArray();
        var aligner = new FfhqAligner(new FfhqAlignOptions { OutputSize = 64 });
        Assert.Equal(aligner.AlignLandmarks68(FaceFixtures.Astronaut, lm).Image.Pixels,
                     aligner.AlignFivePoints(FaceFixtures.Astronaut, interleaved).Image.Pixels);
    }

    [Fact]
    public void Fast_path_matches_the_full_4096_intermediate()
    {
        var lm = AstronautLandmarks;
        var fast = new FfhqAligner(new FfhqAlignOptions { OutputSize = 256 }).AlignLandmarks68(FaceFixtures.Astronaut, lm);
        var exact = new FfhqAligner(new FfhqAlignOptions { OutputSize = 256, ExactTransform = true }).AlignLandmarks68(FaceFixtures.Astronaut, lm);
        var (within2, mean) = Compare(fast.Image, exact.Image);
        Assert.True(within2 > 0.99 && mean < 0.6, $"{within2:P2} within 2 levels, mean {mean:F2}");
    }

    /// <summary>
    /// tests/fixtures/faces/warp_reference/*.png are this aligner's output before the warp took its samples 8 at a
    /// time and filtered phase-planar rows (the one-sample-at-a-time QuadWarp of commit 05b8ad9), for dlib's
    /// reference landmarks: intermediates of 2, 3 and 5 times the output (phases), a padded crop, and one that is no
    /// multiple of the output (TransformSize 150 for 128: every output pixel takes the per-pixel taps).
    /// </summary>
    [Theory]
    [InlineData("astronaut_128.png", "astronaut.ppm", 128, 4096, true)]
    [InlineData("astronaut_crop_128.png", "astronaut_crop.ppm", 128, 4096, true)]
    [InlineData("astronaut_64.png", "astronaut.ppm", 64, 4096, true)]
    [InlineData("astronaut_40.png", "astronaut.ppm", 40, 4096, true)]
    [InlineData("astronaut_128_t150.png", "astronaut.ppm", 128, 150, true)]
    [InlineData("astronaut_128.png", "astronaut.ppm", 128, 4096, false)]
    [InlineData("astronaut_crop_128.png", "astronaut_crop.ppm", 128, 4096, false)]
    [InlineData("astronaut_128_t150.png", "astronaut.ppm", 128, 150, false)]
    public void Vectorised_warp_stays_within_rounding_of_the_one_sample_at_a_time_warp(string previous, string source, int size, int transform, bool simd)
    {
        var options = new FfhqAlignOptions { OutputSize = size, TransformSize = transform, Simd = simd };
        var result = new FfhqAligner(options).AlignLandmarks68(FaceFixtures.Variant(source), FaceFixtures.ReferenceFor(source).Hog[0].Landmarks);
        var expected = ImageDecoder.Decode(Path.Combine(FaceFixtures.Dir, "faces", "warp_reference", previous));
        Assert.Equal((expected.Width, expected.Height), (result.Image.Width, result.Image.Height));
        int max = 0;
        double sum = 0;
        for (int i = 0; i < expected.Pixels.Length; i++)
        {
            int d = Math.Abs(expected.Pixels[i] - result.Image.Pixels[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        double mean = sum / expected.Pixels.Length;
        // Measured: max 1 grey level, on a handful of values (float positions, float rounding in another order).
        Assert.True(max <= 2 && mean < 0.01, $"max difference {max}, mean {mean:F4}");
    }

    [Fact]
    public void Big_face_is_shrunk_first_as_the_recipe_does()
    {
        var a = FaceFixtures.Astronaut;
        var big = FaceFixtures.Map(a, a.Width * 3, a.Height * 3, (x, y) => (x / 3, y / 3));
        var lm = AstronautLandmarks.Select(p => p * 3 + new Vector2(1, 1)).ToArray();
        var result = new FfhqAligner(new FfhqAlignOptions { OutputSize = 128 }).AlignLandmarks68(big, lm);
        Assert.True(result.Shrink > 1, $"shrink {result.Shrink}");
        var small = new FfhqAligner(new FfhqAlignOptions { OutputSize = 128 }).AlignLandmarks68(a, AstronautLandmarks);
        var (_, mean) = Compare(result.Image, small.Image);
        Assert.True(mean < 4, $"the same face at 3× size aligns to nearly the same crop (mean difference {mean:F2})");
    }

    [Fact]
    public void Quad_off_the_image_is_rejected_with_reason()
    {
        var quad = new FaceQuad(5000, 5000, 50, 0);
        var e = Assert.Throws<ArgumentException>(() => new FfhqAligner().Align(FaceFixtures.Astronaut, quad));
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void Wrong_number_of_landmarks_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => FaceQuad.FromLandmarks68(new float[10]));
        Assert.Throws<ArgumentException>(() => FaceQuad.FromFivePoints(new float[136]));
    }
}
