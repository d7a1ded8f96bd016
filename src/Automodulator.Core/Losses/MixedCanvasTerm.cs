using Automodulator.Abstractions;
using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>
/// L_j (paper Sec. 3.2, Eq. 9): for a mixed sample x̂_AB (z_A drives layers 1..j, z_B the rest), decoding its
/// re-encoding φ(x̂_AB) up to layer j must give the canvas that z_A gave there: ‖θ_1:j(ξ⁰, ẑ_AB) − θ_1:j(ξ⁰, z_A)‖²,
/// averaged over elements. This is what makes the layers below j independent of those above.
/// </summary>
public sealed class MixedCanvasTerm(double weight = 1.0) : ILossTerm
{
    public string Name => "l_j";
    public TrainingStep Step => TrainingStep.Decoder;
    public double Weight { get; set; } = weight;
    public LossInputs Reads => LossInputs.MixedCanvases;

    public Tensor Compute(LossContext context)
    {
        if (context.MixedCanvas is null || context.MixedCanvasReencoded is null)
            return zeros([], ScalarType.Float32, context.SampleLatents?.device ?? CPU);
        return LatentStatistics.MeanSquared(context.MixedCanvasReencoded, context.MixedCanvas);
    }
}
