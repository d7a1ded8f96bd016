using Automodulator.Abstractions;
using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>
/// The decoder's latent reconstruction λ_Z·d_cos(z, φ(θ(z))) (paper Eq. 5), over the unmixed rows only: a mixed
/// sample has no single z to return to (its layers are tied by L_j instead).
/// </summary>
public sealed class LatentCosineTerm(double weight) : ILossTerm
{
    public string Name => "z_cos";
    public TrainingStep Step => TrainingStep.Decoder;
    public double Weight { get; set; } = weight;
    public LossInputs Reads => LossInputs.SampleLatents | LossInputs.SampleReencoded;

    public Tensor Compute(LossContext context)
    {
        var z = context.SampleLatents ?? throw new InvalidOperationException("z_cos needs the sample latents z.");
        var back = context.SampleReencoded ?? throw new InvalidOperationException("z_cos needs φ(x̂).");
        int m = context.MixedCount;
        if (m >= z.shape[0]) return zeros([], z.dtype, z.device);
        using var scope = NewDisposeScope();
        return LatentStatistics.CosineDistance(z[m..], back[m..]).MoveToOuterDisposeScope();
    }
}
