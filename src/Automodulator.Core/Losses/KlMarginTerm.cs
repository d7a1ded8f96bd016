using Automodulator.Abstractions;
using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>
/// The encoder's adversarial KL term (paper Eq. 4): max(−M, KL(φ(x)) − KL(φ(x̂))). Minimising it pulls the latents of
/// real images towards N(0, I) and pushes those of generated images away, until the gap reaches the margin M (the
/// schedule's KL margin, set per phase by the trainer). The reference code additionally clips from above at M/2;
/// <see cref="UpperClipShare"/> reproduces that when set.
/// </summary>
public sealed class KlMarginTerm(double weight = 1.0) : ILossTerm
{
    public string Name => "kl_margin";
    public TrainingStep Step => TrainingStep.Encoder;
    public double Weight { get; set; } = weight;
    public LossInputs Reads => LossInputs.RealLatents | LossInputs.SampleReencoded;

    /// <summary>The margin M ≥ 0; 0 disables the clip.</summary>
    public double Margin { get; set; }

    /// <summary>When set, the difference is also clipped from above at this share of M (reference code: 0.5).</summary>
    public double? UpperClipShare { get; set; }

    public Tensor Compute(LossContext context)
    {
        var real = context.RealLatents ?? throw new InvalidOperationException("kl_margin needs the real latents φ(x).");
        var fake = context.SampleReencoded ?? throw new InvalidOperationException("kl_margin needs the re-encoded samples φ(x̂).");
        using var scope = NewDisposeScope();
        var difference = LatentStatistics.KlToStandardNormal(real) - LatentStatistics.KlToStandardNormal(fake);
        return Clip(difference, Margin, UpperClipShare).MoveToOuterDisposeScope();
    }

    /// <summary>max(−M, d), and min(share·M, ·) when a share is given; M = 0 leaves d unclipped.</summary>
    public static Tensor Clip(Tensor difference, double margin, double? upperClipShare)
    {
        if (margin <= 0) return difference.alias();
        var clipped = difference.clamp_min(-margin);
        if (upperClipShare is { } share) clipped = clipped.clamp_max(share * margin);
        return clipped;
    }
}
