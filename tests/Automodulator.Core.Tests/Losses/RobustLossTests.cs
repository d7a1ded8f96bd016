using Automodulator.Core.Losses;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Losses;

public class RobustLossTests
{
    // Closed forms of Z(α) = ∫ exp(−ρ(x, α, 1)) dx.
    private static readonly double LogZCauchy = Math.Log(Math.PI * Math.Sqrt(2));          // α = 0: ∫ 1/(1 + x²/2)
    private static readonly double LogZCharbonnier = Math.Log(2 * Math.E * 0.6019072301972346); // α = 1: 2e·K₁(1)
    private static readonly double LogZGauss = 0.5 * Math.Log(2 * Math.PI);                // α = 2: √(2π)

    [Fact]
    public void Log_partition_matches_the_closed_forms_at_0_1_and_2()
    {
        Assert.Equal(LogZCauchy, LogPartitionTable.Values[0], 7);
        Assert.Equal(LogZCharbonnier, LogPartitionTable.Interpolate(1.0), 7);
        Assert.Equal(LogZGauss, LogPartitionTable.Values[^1], 7);
    }

    [Theory]
    [InlineData(0.001)]
    [InlineData(1.0)]
    [InlineData(1.999)]
    public void Log_partition_table_interpolates_the_direct_integral(double alpha)
    {
        Assert.Equal(LogPartitionTable.Integrate(alpha), LogPartitionTable.Interpolate(alpha), 6);
        using var table = LogPartitionTable.AsTensor(CPU);
        using var a = tensor(new[] { alpha });
        using var t = LogPartitionTable.Interpolate(a, table);
        Assert.Equal(LogPartitionTable.Integrate(alpha), t.item<double>(), 6);
    }

    [Fact]
    public void Log_partition_at_the_ends_of_the_trained_range_approaches_cauchy_and_gauss()
    {
        Assert.Equal(LogZCauchy, LogPartitionTable.Interpolate(0.001), 2);
        Assert.Equal(LogZGauss, LogPartitionTable.Interpolate(1.999), 2);
        Assert.NotEqual(LogZCauchy, LogPartitionTable.Interpolate(0.001), 5);
    }

    [Theory]
    [InlineData(0.3, 0.5)]
    [InlineData(1.0, 2.0)]
    [InlineData(1.7, 1.0)]
    public void The_negative_log_likelihood_is_a_normalised_density(double alpha, double scale)
    {
        // ∫ exp(−NLL(r)) dr = 1 for any α and scale: checks ρ, log c and log Z(α) together.
        double logZ = LogPartitionTable.Interpolate(alpha), sum = 0, h = 0.001;
        for (double t = -25; t <= 60; t += h)
        {
            double r = Math.Exp(t);
            sum += Math.Exp(t - (LogPartitionTable.Rho(r / scale, alpha) + Math.Log(scale) + logZ));
        }
        Assert.Equal(1.0, 2 * sum * h, 4);
    }

    [Fact]
    public void Robust_loss_starts_at_alpha_one_and_scale_one_and_gives_the_charbonnier_nll()
    {
        using var loss = new RobustLoss("robust", 4);
        using var alpha = loss.Alpha(4);
        using var scale = loss.Scale(4);
        Assert.Equal(1.0, alpha.mean().item<float>(), 6);
        Assert.Equal(1.0, scale.mean().item<float>(), 6);
        // NLL(r) = √(r² + 1) − 1 + log Z(1); r = 0 and r = 2.
        using var r = zeros(2, 3, 4, 4);
        r[1].fill_(2.0);
        using var nll = loss.NegativeLogLikelihood(r);
        Assert.Equal(LogZCharbonnier, nll[0].mean().item<float>(), 4);
        Assert.Equal(Math.Sqrt(5) - 1 + LogZCharbonnier, nll[1].mean().item<float>(), 4);
    }

    [Fact]
    public void Robust_loss_near_alpha_two_is_the_gaussian_nll()
    {
        using var loss = new RobustLoss("robust", 4);
        using (no_grad()) loss.LatentsAt(4).Alpha.fill_(20.0); // sigmoid → 1, α → 1.999
        using var r = full(1, 3, 4, 4, 0.7f);
        using var nll = loss.NegativeLogLikelihood(r);
        Assert.Equal(0.7 * 0.7 / 2 + LogZGauss, nll.mean().item<float>(), 2);
    }

    [Fact]
    public void Growing_copies_each_alpha_and_scale_to_its_two_by_two_spatial_children_once()
    {
        using var loss = new RobustLoss("robust", 8);
        var (parentAlpha, parentScale) = loss.LatentsAt(4);
        using (no_grad())
        {
            using var a = arange(48, dtype: ScalarType.Float32).reshape(3, 4, 4);
            parentAlpha.copy_(a);
            parentScale.copy_(a.neg());
        }
        loss.PrepareResolution(8);
        var (childAlpha, childScale) = loss.LatentsAt(8);
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
        {
            float expected = c * 16 + (y / 2) * 4 + x / 2;
            Assert.Equal(expected, childAlpha[c, y, x].item<float>());
            Assert.Equal(-expected, childScale[c, y, x].item<float>());
        }
        // Training changes the child; preparing again (e.g. after a resume) must not overwrite it.
        using (no_grad()) childAlpha.fill_(5);
        loss.PrepareResolution(8);
        Assert.Equal(5, childAlpha.mean().item<float>());
    }

    [Fact]
    public void Robust_loss_gradients_reach_alpha_and_scale()
    {
        using var loss = new RobustLoss("robust", 4);
        using var r = randn(2, 3, 4, 4);
        using var d = loss.Distance(r, zeros_like(r));
        d.backward();
        var (a, s) = loss.LatentsAt(4);
        using var ga = a.grad!;
        using var gs = s.grad!;
        Assert.True(ga.abs().sum().item<float>() > 0);
        Assert.True(gs.abs().sum().item<float>() > 0);
    }
}
