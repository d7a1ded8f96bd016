using Automodulator.Abstractions;
using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>
/// L_inv (paper Sec. 3.3, Eqs. 10–11) for a batch of flip pairs x₁ (first half) and x₂ = mirror(x₁) (second half):
/// d(x₂, θ_{k+1:N}(θ_1:k(ξ⁰, z₂), z₁)) + d(x₁, θ_{k+1:N}(θ_1:k(ξ⁰, z₁), z₂)): the coarse layers 1..k carry the
/// flip, the rest must not. The trainer supplies the swapped decode; d is the reconstruction distance d_X.
/// </summary>
public sealed class InvarianceTerm(IImageDistance distance, double weight) : ILossTerm
{
    public string Name => "l_inv";
    public TrainingStep Step => TrainingStep.Encoder;
    public double Weight { get; set; } = weight;
    public LossInputs Reads => LossInputs.Real | LossInputs.SwappedReconstruction;

    public Tensor Compute(LossContext context)
    {
        var x = context.Real ?? throw new InvalidOperationException("l_inv needs the real flip pairs.");
        var swapped = context.SwappedReconstruction ?? throw new InvalidOperationException("l_inv needs the swapped decode.");
        long half = x.shape[0] / 2;
        if (half * 2 != x.shape[0]) throw new ArgumentException("L_inv needs an even batch of flip pairs (originals, then their mirrors).");
        using var scope = NewDisposeScope();
        var loss = distance.Distance(x[..(int)half], swapped[..(int)half]) + distance.Distance(x[(int)half..], swapped[(int)half..]);
        return loss.MoveToOuterDisposeScope();
    }
}
