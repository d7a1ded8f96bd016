using Automodulator.Abstractions;
using Automodulator.Core.Losses;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Losses;

public class LossTermTests
{
    private static Tensor T(float[,] v) => tensor(v);

    [Fact]
    public void Kl_estimate_uses_batch_mean_and_biased_variance_per_dimension()
    {
        // dim 0: values 1, 3 → μ = 2, σ² = 1 → (1 + 4)/2 − ½·ln 1 − ½ = 2
        // dim 1: values 0, 4 → μ = 2, σ² = 4 → (4 + 4)/2 − ½·ln 4 − ½ = 3.5 − ln 2
        using var z = T(new float[,] { { 1, 0 }, { 3, 4 } });
        using var kl = LatentStatistics.KlToStandardNormal(z);
        double expected = (2.0 + (3.5 - Math.Log(2))) / 2;
        Assert.Equal(expected, kl.item<float>(), 5);
    }

    [Fact]
    public void Kl_estimate_is_zero_for_a_standard_normal_batch_statistic()
    {
        // μ = 0 and σ² = 1 in every dimension: the estimate is exactly 0.
        using var z = T(new float[,] { { 1, -1 }, { -1, 1 } });
        using var kl = LatentStatistics.KlToStandardNormal(z);
        Assert.Equal(0.0, kl.item<float>(), 6);
    }

    [Fact]
    public void Kl_margin_clips_the_difference_from_below_at_minus_the_margin()
    {
        using var real = T(new float[,] { { 1, -1 }, { -1, 1 } });   // KL 0
        using var fake = T(new float[,] { { 1, 0 }, { 3, 4 } });     // KL (2 + 3.5 − ln 2)/2 ≈ 2.40343
        double klFake = (2.0 + 3.5 - Math.Log(2)) / 2;
        var context = new LossContext { RealLatents = real, SampleReencoded = fake };
        var term = new KlMarginTerm { Margin = 0.5 };
        using (var v = term.Compute(context)) Assert.Equal(-0.5, v.item<float>(), 5);
        term.Margin = 3.0;
        using (var v = term.Compute(context)) Assert.Equal(-klFake, v.item<float>(), 5);
        term.Margin = 0;
        using (var v = term.Compute(context)) Assert.Equal(-klFake, v.item<float>(), 5);
        // The other way round the difference is +2.40; the reference's upper clip at M/2 caps it.
        var swapped = new LossContext { RealLatents = fake, SampleReencoded = real };
        term.Margin = 1.0;
        using (var v = term.Compute(swapped)) Assert.Equal(klFake, v.item<float>(), 5);
        term.UpperClipShare = 0.5;
        using (var v = term.Compute(swapped)) Assert.Equal(0.5, v.item<float>(), 5);
    }

    [Fact]
    public void Cosine_distance_is_one_minus_cosine_over_the_latent_width_on_unmixed_rows()
    {
        // Row 0 is a mixed sample (ignored); row 1: z = (1, 0), φ = (1, 1) → (1 − 1/√2)/2; row 2 identical → 0.
        using var z = T(new float[,] { { 0, 1 }, { 1, 0 }, { 0, 2 } });
        using var back = T(new float[,] { { 1, 0 }, { 1, 1 }, { 0, 1 } });
        var term = new LatentCosineTerm(1000);
        using var v = term.Compute(new LossContext { SampleLatents = z, SampleReencoded = back, MixedCount = 1 });
        double expected = ((1 - 1 / Math.Sqrt(2)) / 2 + 0) / 2;
        Assert.Equal(expected, v.item<float>(), 6);
        Assert.Equal(1000, term.Weight);
    }

    [Fact]
    public void Mixed_canvas_term_is_the_mean_squared_difference_of_the_two_canvases()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(1, 1, 2, 2);
        using var b = tensor(new float[] { 1, 4, 0, 4 }).reshape(1, 1, 2, 2);
        using var v = new MixedCanvasTerm().Compute(new LossContext { MixedCanvas = a, MixedCanvasReencoded = b });
        Assert.Equal((0 + 4 + 9 + 0) / 4.0, v.item<float>(), 6);
    }

    [Fact]
    public void Invariance_term_sums_the_distance_of_each_half_of_the_flip_pairs()
    {
        // Two pairs of 1-pixel images; L1 per half: |1−0| over 3 channels = 1, and |2−0.5| = 1.5 → 2.5.
        using var x = cat([ones(1, 3, 1, 1), full(1, 3, 1, 1, 2.0f)]);
        using var swapped = cat([zeros(1, 3, 1, 1), full(1, 3, 1, 1, 0.5f)]);
        var term = new InvarianceTerm(new L1Distance(), 0.2);
        using var v = term.Compute(new LossContext { Real = x, SwappedReconstruction = swapped });
        Assert.Equal(2.5, v.item<float>(), 6);
    }

    [Fact]
    public void Reconstruction_term_with_l1_is_the_mean_absolute_error()
    {
        using var x = tensor(new float[] { 1, -1, 0.5f, 0 }).reshape(1, 1, 2, 2);
        using var y = tensor(new float[] { 0, -1, 0, 1 }).reshape(1, 1, 2, 2);
        var term = new ReconstructionTerm(new L1Distance(), 0.2);
        using var v = term.Compute(new LossContext { Real = x, Reconstruction = y });
        Assert.Equal((1 + 0 + 0.5 + 1) / 4.0, v.item<float>(), 6);
        Assert.Equal(TrainingStep.Encoder, term.Step);
    }
}
