using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>
/// Adaptive instance normalisation (paper Sec. 3.1, Eq. 3): each channel of x is normalised to zero mean and unit
/// variance, then given the mean m and standard deviation s that this layer's own affine map computes from its
/// latent z (output width 2C: the first C are s, the last C are m). s starts at 1 and m at 0.
/// </summary>
public sealed class AdaIn : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly EqualizedLinear style;
    private readonly double _eps;

    public AdaIn(string name, int channels, int latentDim, double eps = 1e-8) : base(name)
    {
        Channels = channels;
        using var init = cat([ones(channels), zeros(channels)]);
        style = new EqualizedLinear("style", latentDim, 2 * channels, gain: 1.0, biasInit: init);
        _eps = eps;
        RegisterComponents();
    }

    public int Channels { get; }

    /// <summary>Width of the style this layer reads from its latent (2C).</summary>
    public int StyleWidth => 2 * Channels;

    /// <summary>The (s, m) pair for latents z: each [B, C].</summary>
    public (Tensor Std, Tensor Mean) Style(Tensor z)
    {
        var sm = style.call(z);
        var parts = sm.chunk(2, dim: 1);
        return (parts[0], parts[1]);
    }

    public override Tensor forward(Tensor x, Tensor z)
    {
        using var scope = NewDisposeScope();
        // instance_norm is one fused kernel for (x − mean)/√(var + ε) (biased variance, per sample and channel), and
        // addcmul one more for ·s + m: far fewer passes over the feature map than the elementwise chain, forward and backward.
        var normalized = nn.functional.instance_norm(x, eps: _eps);
        var (s, m) = Style(z);
        var y = addcmul(m.unsqueeze(-1).unsqueeze(-1), normalized, s.unsqueeze(-1).unsqueeze(-1), HeldScalar.One);
        return y.MoveToOuterDisposeScope();
    }
}
