using Automodulator.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

/// <summary>
/// The encoder step leaves out the generated images' backward pass when the loss gives φ(x̂) an all-zero gradient
/// (the KL term clipped at its margin), and nothing else changes.
/// </summary>
[Collection("Training")]
public class ZeroGradientBackwardTests
{
    private static TrainingOptions At16(int shards, double margin, double klWeight) =>
        TrainingFixtures.At16(shards, new ObjectiveOptions { KlMarginWeight = klWeight }, margin);

    /// <summary>Runs <paramref name="iterations"/> steps; returns each step's values, the encoder gradients of the last one, and the skip count.</summary>
    private static (List<Dictionary<string, double>> Values, Dictionary<string, Tensor> Gradients, long Skipped) Run(
        TrainingOptions options, bool leaveOut, int iterations)
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(options);
        trainer.LeaveOutZeroBackwards = leaveOut;
        var recorded = TrainingFixtures.RecordGradients(trainer);
        var values = new List<Dictionary<string, double>>();
        foreach (var batch in TrainingFixtures.Batches(trainer.Options, data).Take(iterations))
        {
            using (batch)
            using (var result = trainer.Step(batch))
                values.Add(result.Read().ToDictionary());
        }
        var gradients = recorded.Where(g => g.Key.StartsWith("encoder.")).ToDictionary();
        return (values, gradients, trainer.FakeBackwardsSkipped);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_zero_gradient_for_the_generated_images_skips_their_backward_and_changes_nothing(int shards)
    {
        // A KL term of weight 0 gives φ(x̂) an exactly zero gradient in every iteration.
        var (values, gradients, skipped) = Run(At16(shards, 0.5, klWeight: 0), leaveOut: true, iterations: 2);
        var (fullValues, fullGradients, fullSkipped) = Run(At16(shards, 0.5, klWeight: 0), leaveOut: false, iterations: 2);

        Assert.Equal(2, skipped);
        Assert.Equal(0, fullSkipped);
        for (int i = 0; i < values.Count; i++)
            foreach (var (name, v) in fullValues[i])
                Assert.True(Math.Abs(values[i][name] - v) <= 1e-6 * Math.Max(1, Math.Abs(v)), $"iteration {i} {name}: {values[i][name]} vs {v}");
        Assert.Equal(fullGradients.Keys.Order(), gradients.Keys.Order());
        foreach (var (name, g) in fullGradients)
        {
            double scale = g.norm().item<float>(), diff = (g - gradients[name]).norm().item<float>();
            Assert.True(diff <= 1e-6 * scale + 1e-9, $"{name}: |Δ| {diff:G3} against |g| {scale:G3}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_backward_is_left_out_exactly_in_the_iterations_whose_kl_term_sits_at_the_margin(int shards)
    {
        const double margin = 0.002;
        var (values, _, skipped) = Run(At16(shards, margin, klWeight: 1), leaveOut: true, iterations: 6);

        // max(−M, d) has zero gradient where it returned −M; d > −M back-propagates through φ(x̂).
        int clipped = values.Count(v => Math.Abs(v["enc.kl_margin"] + margin) < 1e-7);
        Assert.InRange(clipped, 1, values.Count - 1);  // both kinds of iteration occur (3 and 3 with this seed)
        Assert.Equal(clipped, skipped);
    }

    [Fact]
    public void Without_a_margin_the_generated_images_always_get_their_backward()
    {
        var (_, _, skipped) = Run(At16(2, 0, klWeight: 1), leaveOut: true, iterations: 3);
        Assert.Equal(0, skipped);
    }
}
