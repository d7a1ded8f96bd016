using Automodulator.Abstractions;
using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>The decoder's KL(φ(θ(z))) (paper Eq. 5): samples whose codes look like N(0, I) to the encoder.</summary>
public sealed class SampleKlTerm(double weight = 1.0) : ILossTerm
{
    public string Name => "kl_samples";
    public TrainingStep Step => TrainingStep.Decoder;
    public double Weight { get; set; } = weight;
    public LossInputs Reads => LossInputs.SampleReencoded;

    public Tensor Compute(LossContext context) =>
        LatentStatistics.KlToStandardNormal(context.SampleReencoded ?? throw new InvalidOperationException("kl_samples needs φ(x̂)."));
}
