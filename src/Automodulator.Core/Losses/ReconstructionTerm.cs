using Automodulator.Abstractions;
using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>The encoder's reconstruction term λ_X·d_X(x, θ(φ(x))) (paper Eq. 4), d_X being L1 or the robust loss.</summary>
public sealed class ReconstructionTerm(IImageDistance distance, double weight) : ILossTerm
{
    public IImageDistance DistanceFunction { get; } = distance;
    public string Name => "recon";
    public TrainingStep Step => TrainingStep.Encoder;
    public double Weight { get; set; } = weight;
    public LossInputs Reads => LossInputs.Real | LossInputs.Reconstruction;

    public Tensor Compute(LossContext context) =>
        DistanceFunction.Distance(
            context.Real ?? throw new InvalidOperationException("recon needs the real images."),
            context.Reconstruction ?? throw new InvalidOperationException("recon needs the reconstructions θ(φ(x))."));
}
