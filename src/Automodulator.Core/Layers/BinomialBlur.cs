using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>
/// The [1, 2, 1] ⊗ [1, 2, 1] / 16 binomial low-pass filter that StyleGAN (and the automodulator decoder, paper App. B)
/// applies after the first (upsampling) conv of each block, per channel, with replicated borders so a constant image
/// stays constant. The kernel is a constant, not state: it is made on first use for the input's device and dtype.
/// </summary>
public sealed class BinomialBlur : nn.Module<Tensor, Tensor>
{
    private Tensor? _kernel;

    public BinomialBlur(string name) : base(name)
    {
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (_kernel is null || _kernel.device != x.device || _kernel.dtype != x.dtype)
        {
            _kernel?.Dispose();
            using var k1 = tensor(new float[] { 1, 2, 1 });
            using var k2 = k1.outer(k1).div(16).reshape(1, 1, 3, 3);
            _kernel = k2.to(x.dtype, x.device).DetachFromDisposeScope();
        }
        long c = x.shape[1];
        using var padded = nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Replicate);
        using var k = _kernel.expand(c, 1, 3, 3);
        return nn.functional.conv2d(padded, k, groups: c);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _kernel?.Dispose();
        base.Dispose(disposing);
    }
}
