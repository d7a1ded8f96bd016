using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>
/// log Z(α) of Barron's general distribution, p(x | α, c) = exp(−ρ(x/c, α)) / (c·Z(α)), for α in [0, 2].
/// Z(α) = ∫ exp(−ρ(x, α, 1)) dx has no closed form except at α = 0 (π√2), 1 (2e·K₁(1)) and 2 (√(2π)), so it is
/// integrated numerically once, at first use, on a grid of α and interpolated linearly (Barron 2019, Sec. 3, does
/// the same with a spline). The integral is taken over t = log x with the trapezoid rule, which converges
/// exponentially fast for this smooth, fast-decaying integrand, and covers the heavy α → 0 tails (∝ 1/x²) exactly.
/// </summary>
public static class LogPartitionTable
{
    /// <summary>Number of α grid intervals over [0, 2].</summary>
    public const int Intervals = 4000;

    /// <summary>Grid spacing in α.</summary>
    public const double Step = 2.0 / Intervals;

    private static readonly Lazy<double[]> TableValues = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>log Z at α = i·<see cref="Step"/>, i = 0..<see cref="Intervals"/>.</summary>
    public static IReadOnlyList<double> Values => TableValues.Value;

    /// <summary>ρ(x, α, 1) with the α = 0 (Cauchy-like) and α = 2 (Gaussian) limits taken exactly.</summary>
    public static double Rho(double x, double alpha)
    {
        double x2 = x * x;
        if (alpha == 0) return Math.Log(0.5 * x2 + 1);
        if (alpha == 2) return 0.5 * x2;
        double b = Math.Abs(alpha - 2);
        // b/α · ((x²/b + 1)^(α/2) − 1), written with expm1/log1p so small α keeps its precision.
        return b / alpha * Expm1(alpha / 2 * Math.Log(x2 / b + 1));
    }

    /// <summary>log Z(α) by direct numerical integration (no table).</summary>
    public static double Integrate(double alpha)
    {
        // Z = 2 ∫_0^∞ exp(−ρ(x)) dx = 2 ∫ exp(t − ρ(e^t)) dt. Below t = −22 the integrand is < e^t (tail < 3e−10);
        // above t = 70 it is < 2e^−t for every α ≥ 0 (ρ grows at least like log(x²/2) there).
        const double lo = -22, hi = 70;
        const int n = 6000;
        double h = (hi - lo) / n, sum = 0;
        for (int i = 0; i <= n; i++)
        {
            double t = lo + i * h;
            double f = Math.Exp(t - Rho(Math.Exp(t), alpha));
            sum += i == 0 || i == n ? 0.5 * f : f;
        }
        return Math.Log(2 * h * sum);
    }

    /// <summary>Linear interpolation of the table at a scalar α in [0, 2].</summary>
    public static double Interpolate(double alpha)
    {
        if (alpha < 0 || alpha > 2) throw new ArgumentOutOfRangeException(nameof(alpha), $"α must be in [0, 2]; got {alpha}.");
        var v = TableValues.Value;
        double pos = alpha / Step;
        int i = Math.Min((int)Math.Floor(pos), Intervals - 1);
        double w = pos - i;
        return v[i] * (1 - w) + v[i + 1] * w;
    }

    /// <summary>The table as a float64 tensor on <paramref name="device"/> (the caller owns it).</summary>
    public static Tensor AsTensor(Device device) => tensor(TableValues.Value, ScalarType.Float64, device);

    /// <summary>
    /// log Z(α) for a tensor of α values in [0, 2], interpolated linearly in the table (a float64 tensor from
    /// <see cref="AsTensor"/>); differentiable in α (the slope of the segment α falls in).
    /// </summary>
    public static Tensor Interpolate(Tensor alpha, Tensor table)
    {
        using var scope = NewDisposeScope();
        var pos = alpha.to(ScalarType.Float64) / Step;
        var index = pos.detach().floor().clamp(0, Intervals - 1).to(ScalarType.Int64);
        var w = pos - index.to(ScalarType.Float64);
        var left = table.take(index);
        var right = table.take(index + 1);
        var value = left + (right - left) * w;
        return value.to(alpha.dtype).MoveToOuterDisposeScope();
    }

    private static double[] Build()
    {
        var values = new double[Intervals + 1];
        Parallel.For(0, Intervals + 1, i => values[i] = Integrate(i * Step));
        return values;
    }

    private static double Expm1(double x) => Math.Abs(x) < 1e-5 ? x + 0.5 * x * x + x * x * x / 6 : Math.Exp(x) - 1;
}
