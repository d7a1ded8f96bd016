using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>
/// The [1, 2, 1] ⊗ [1, 2, 1] / 16 binomial low-pass filter that StyleGAN (and the automodulator decoder, paper App. B)
/// applies after the first (upsampling) conv of each block, per channel, with replicated borders so a constant image
/// stays constant.
/// </summary>
public sealed class BinomialBlur : nn.Module<Tensor, Tensor>
{
    private readonly Tensor _kernel;

    public BinomialBlur(string name) : base(name)
    {
        using var k1 = tensor(new float[] { 1, 2, 1 });
        _kernel = k1.outer(k1).div_(16).reshape(1, 1, 3, 3);
        // Not persistent: a constant, not state.
        register_buffer("kernel", _kernel, persistent: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long c = x.shape[1];
        using var padded = nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Replicate);
        using var k = _kernel.to(x.dtype).expand(c, 1, 3, 3);
        return nn.functional.conv2d(padded, k, groups: c);
    }
}
