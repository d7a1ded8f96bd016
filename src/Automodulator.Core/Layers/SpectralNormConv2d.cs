using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>
/// Conv2d whose weight is divided by its largest singular value σ (Miyato et al. 2018), as in the automodulator's
/// encoder (paper App. B). σ is estimated by power iteration on W reshaped to [out, in·k·k]; while training each
/// forward pass runs <see cref="PowerIterations"/> iterations under no_grad and σ = uᵀWv carries the gradient.
/// u, v and the last σ are buffers, so a saved model evaluates exactly as it did before saving.
/// </summary>
public sealed class SpectralNormConv2d : nn.Module<Tensor, Tensor>, IPrecisionSwitchable
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor weight_u;
    private readonly Tensor weight_v;
    private readonly Tensor weight_sigma;
    private readonly long _padding;

    public SpectralNormConv2d(string name, int inChannels, int outChannels, int kernelSize, int padding = -1) : base(name)
    {
        long fanIn = (long)inChannels * kernelSize * kernelSize;
        // PyTorch's default conv init: kaiming_uniform(a=√5) → U(-1/√fan_in, 1/√fan_in), same bound for the bias.
        double bound = 1.0 / Math.Sqrt(fanIn);
        weight = new Parameter(empty(outChannels, inChannels, kernelSize, kernelSize).uniform_(-bound, bound));
        bias = new Parameter(empty(outChannels).uniform_(-bound, bound));
        weight_u = nn.functional.normalize(randn(outChannels), dim: 0);
        weight_v = nn.functional.normalize(randn(fanIn), dim: 0);
        weight_sigma = ones(1);
        _padding = padding >= 0 ? padding : kernelSize / 2;
        RegisterComponents();
        using (no_grad()) weight_sigma.copy_(Sigma());
    }

    /// <summary>Power iterations per training forward pass (1, as in the reference and in PyTorch's default).</summary>
    public int PowerIterations { get; set; } = 1;

    /// <summary>The raw (unnormalised) weight.</summary>
    public Parameter Weight => weight;

    /// <summary>The σ buffer: the estimate used by the last forward pass.</summary>
    public Tensor StoredSigma => weight_sigma;

    /// <summary>Runs <paramref name="iterations"/> power iterations, updating the u and v buffers.</summary>
    public void PowerIterate(int iterations)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var w = weight.detach().flatten(1);
        var wt = w.t();
        for (int i = 0; i < iterations; i++)
        {
            weight_v.copy_(nn.functional.normalize(wt.matmul(weight_u), dim: 0, eps: 1e-12));
            weight_u.copy_(nn.functional.normalize(w.matmul(weight_v), dim: 0, eps: 1e-12));
        }
    }

    /// <summary>
    /// σ = uᵀ W v with the current u, v (differentiable in W). u and v are cloned, as PyTorch's spectral_norm does, so
    /// that a second forward pass in the same graph (the encoder runs on x and on θ(φ(x)) in one step) can update the
    /// buffers in place without invalidating what the first pass saved for backward.
    /// </summary>
    public Tensor Sigma()
    {
        using var u = weight_u.clone();
        using var v = weight_v.clone();
        using var wv = weight.flatten(1).matmul(v);
        using var dot = u.dot(wv);
        return dot.reshape(1);
    }

    /// <summary>W/σ with the σ this module would use in its current mode.</summary>
    public Tensor NormalizedWeight()
    {
        if (!training) return weight / weight_sigma;
        PowerIterate(PowerIterations);
        var sigma = Sigma();
        using (no_grad()) weight_sigma.copy_(sigma.detach());
        return weight / sigma;
    }

    /// <summary>Operand precision of the convolution (σ and the weight division stay float32).</summary>
    public ConvPrecision Precision { get; set; }

    private Tensor? _pinned;

    /// <summary>
    /// Makes every forward pass use <paramref name="normalizedWeight"/> (W/σ computed once by the caller) until
    /// <see cref="Unpin"/>: a batch split over threads then shares one power iteration, as the unsplit batch would.
    /// </summary>
    public void Pin(Tensor normalizedWeight) => _pinned = normalizedWeight;

    public void Unpin() => _pinned = null;

    public override Tensor forward(Tensor x) => PrecisionConv.Conv2d(x, WeightForPass(), bias, _padding, Precision);

    /// <summary>The forward pass with a bfloat16 result under bfloat16 precision (<see cref="PrecisionConv.Conv2dKeepingPrecision"/>).</summary>
    public Tensor ForwardKeepingPrecision(Tensor x) => PrecisionConv.Conv2dKeepingPrecision(x, WeightForPass(), bias, _padding, Precision);

    private Tensor WeightForPass() => _pinned ?? NormalizedWeight();
}
