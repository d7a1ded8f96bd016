using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>
/// The distances on latents and canvases that the objective is built from (paper Sec. 3, Eqs. 4–6, 9), as plain
/// tensor functions so each can be tested against hand-computed values. The <see cref="Abstractions.ILossTerm"/>
/// classes in this folder wrap them with a name, a step and a weight.
/// </summary>
public static class LatentStatistics
{
    /// <summary>
    /// KL(q ‖ N(0, I)) of a batch of latents [B, D], estimated as AGE does (Ulyanov et al. 2018; the automodulator
    /// reference's 'qp' direction): per dimension the batch mean μ_d and the biased variance σ²_d, then the mean over d of
    /// (σ²_d + μ²_d)/2 − ½ log σ²_d − ½. A scalar; differentiable in the latents.
    /// </summary>
    public static Tensor KlToStandardNormal(Tensor latents)
    {
        if (latents.dim() != 2) throw new ArgumentException($"Latents must be [B, D]; got [{string.Join(", ", latents.shape)}].");
        if (latents.shape[0] < 2) throw new ArgumentException("The KL estimate needs a batch of at least 2 latents (it uses the batch variance).");
        using var scope = NewDisposeScope();
        var mean = latents.mean([0]);
        var variance = (latents - mean).square().mean([0]);
        var kl = ((variance + mean.square()) * 0.5 - variance.log() * 0.5 - 0.5).mean();
        return kl.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The cosine distance of latent reconstruction with the normalisation of AGE and the automodulator reference
    /// (their 'cos' mismatch is the mean over the D dimensions of 2 − ẑ_d·ẑ'_d): here (1 − cos(z, z'))/D averaged over
    /// the batch, which has the same gradient and is 0 for identical directions. With it λ_Z = 1000 balances the
    /// KL term as in the paper.
    /// </summary>
    public static Tensor CosineDistance(Tensor z, Tensor zPrime)
    {
        if (!z.shape.SequenceEqual(zPrime.shape) || z.dim() != 2)
            throw new ArgumentException($"Both latents must be [B, D] of the same shape; got [{string.Join(", ", z.shape)}] and [{string.Join(", ", zPrime.shape)}].");
        using var scope = NewDisposeScope();
        long d = z.shape[1];
        var cos = (nn.functional.normalize(z, dim: 1) * nn.functional.normalize(zPrime, dim: 1)).sum(1);
        return ((1.0 - cos).mean() / d).MoveToOuterDisposeScope();
    }

    /// <summary>Mean absolute difference (the L1 choice of d_X).</summary>
    public static Tensor L1(Tensor x, Tensor y) => (x - y).abs().mean();

    /// <summary>Mean squared difference (L_j's squared L2, averaged over elements as the reference does).</summary>
    public static Tensor MeanSquared(Tensor x, Tensor y) => (x - y).square().mean();
}
