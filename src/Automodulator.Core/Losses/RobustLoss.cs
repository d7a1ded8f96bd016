using Automodulator.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>
/// Barron's general adaptive robust loss (CVPR 2019) used as d_ρ, the automodulator's reconstruction distance: the
/// negative log-likelihood −log p(r | α, c) = ρ(r/c, α) + log c + log Z(α) of the residual r = x − θ(φ(x)), with a
/// learnable shape α ∈ (0.001, 1.999) and scale c &gt; 0 for every pixel and channel. The parameters are latent, as in
/// Barron's reference: α = lo + (hi − lo)·sigmoid(a), c = (1 − c_lo)·softplus(s)/softplus(0) + c_lo, both starting at
/// α = 1, c = 1. They are trained by the encoder's optimiser.
/// One parameter map per resolution; when the model grows to 2R, each α and scale at R is copied to its 2×2 spatial
/// children (the reference copies in flattened order, which scatters them across the image; here they stay put).
/// </summary>
public sealed class RobustLoss : nn.Module
{
    public const double AlphaLow = 0.001;
    public const double AlphaHigh = 1.999;
    public const double ScaleLow = 1e-5;

    private readonly ParameterDict latent_alpha;
    private readonly ParameterDict latent_scale;
    private readonly Tensor grown;
    private readonly int _maxResolution;
    private Tensor? _table;

    public RobustLoss(string name, int maxResolution) : base(name)
    {
        _maxResolution = maxResolution;
        latent_alpha = new ParameterDict();
        latent_scale = new ParameterDict();
        int levels = ModelConfig.LevelOf(maxResolution) + 1;
        for (int level = 0; level < levels; level++)
        {
            int r = ModelConfig.ResolutionOf(level);
            latent_alpha.Add((Encoder.Key(r), new Parameter(zeros(3, r, r))));
            latent_scale.Add((Encoder.Key(r), new Parameter(zeros(3, r, r))));
        }
        // 1 where a resolution's maps were already initialised from the level below (state, so resume does not redo it).
        grown = zeros(levels);
        RegisterComponents();
    }

    /// <summary>The latent parameters of one resolution (α's and scale's).</summary>
    public (Parameter Alpha, Parameter Scale) LatentsAt(int resolution) =>
        (latent_alpha[Encoder.Key(resolution)], latent_scale[Encoder.Key(resolution)]);

    /// <summary>α per channel and pixel at <paramref name="resolution"/>: [3, R, R].</summary>
    public Tensor Alpha(int resolution) => LatentsAt(resolution).Alpha.sigmoid() * (AlphaHigh - AlphaLow) + AlphaLow;

    /// <summary>Scale c per channel and pixel at <paramref name="resolution"/>: [3, R, R].</summary>
    public Tensor Scale(int resolution) =>
        nn.functional.softplus(LatentsAt(resolution).Scale) * ((1.0 - ScaleLow) / Math.Log(2.0)) + ScaleLow;

    /// <summary>
    /// Makes <paramref name="resolution"/>'s maps the spatial 2× enlargement of the level below unless that was
    /// done before (kept in state). Call when a phase at a new resolution starts.
    /// </summary>
    public void PrepareResolution(int resolution)
    {
        int level = ModelConfig.LevelOf(resolution);
        if (level == 0) return;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (grown[level].item<float>() != 0) return;
        var (childAlpha, childScale) = LatentsAt(resolution);
        var (parentAlpha, parentScale) = LatentsAt(resolution / 2);
        childAlpha.copy_(UpsampleSpatially(parentAlpha));
        childScale.copy_(UpsampleSpatially(parentScale));
        grown[level].fill_(1);
    }

    /// <summary>[C, R, R] → [C, 2R, 2R] with each value copied to its 2×2 children.</summary>
    public static Tensor UpsampleSpatially(Tensor map) => map.repeat_interleave(2, dim: 1).repeat_interleave(2, dim: 2);

    /// <summary>Per-element negative log-likelihood of residuals [B, 3, R, R].</summary>
    public Tensor NegativeLogLikelihood(Tensor residual)
    {
        int r = (int)residual.shape[3];
        if (residual.dim() != 4 || residual.shape[1] != 3 || residual.shape[2] != r || r > _maxResolution)
            throw new ArgumentException($"The robust loss takes residuals [B, 3, R, R] with R ≤ {_maxResolution}; got [{string.Join(", ", residual.shape)}].");
        using var scope = NewDisposeScope();
        var alpha = Alpha(r);
        var scale = Scale(r);
        if (_table is null || _table.device != residual.device)
        {
            _table?.Dispose();
            _table = LogPartitionTable.AsTensor(residual.device).DetachFromDisposeScope();
        }
        var logZ = LogPartitionTable.Interpolate(alpha, _table);
        var nll = Rho(residual / scale, alpha) + scale.log() + logZ;
        return nll.MoveToOuterDisposeScope();
    }

    /// <summary>The mean NLL over every element: the d_ρ(x, x') the objective uses.</summary>
    public Tensor Distance(Tensor x, Tensor reconstruction)
    {
        using var scope = NewDisposeScope();
        return NegativeLogLikelihood(x - reconstruction).mean().MoveToOuterDisposeScope();
    }

    /// <summary>ρ(u, α) = |α−2|/α · ((u²/|α−2| + 1)^(α/2) − 1) for α in (0, 2), in the expm1/log1p form.</summary>
    public static Tensor Rho(Tensor u, Tensor alpha)
    {
        using var scope = NewDisposeScope();
        var b = (alpha - 2).abs();
        var rho = (b / alpha) * ((alpha * 0.5) * (u.square() / b).log1p()).expm1();
        return rho.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _table?.Dispose();
        base.Dispose(disposing);
    }
}
