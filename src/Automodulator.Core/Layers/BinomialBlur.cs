using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>
/// The [1, 2, 1] ⊗ [1, 2, 1] / 16 binomial low-pass filter that StyleGAN (and the automodulator decoder, paper App. B)
/// applies after the first (upsampling) conv of each block, per channel, with replicated borders so a constant image
/// stays constant. The kernel is a constant, not state: it is made on first use for the input's device, dtype and
/// channel count (already repeated per channel, so no copy is made per call).
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
        long c = x.shape[1];
        if (_kernel is null || _kernel.device != x.device || _kernel.dtype != x.dtype || _kernel.shape[0] != c)
        {
            _kernel?.Dispose();
            using var k1 = tensor(new float[] { 0.25f, 0.5f, 0.25f });
            using var k2 = k1.outer(k1).reshape(1, 1, 3, 3);
            using var typed = k2.to(x.dtype, x.device);
            _kernel = typed.expand(c, 1, 3, 3).contiguous().DetachFromDisposeScope();
        }
        using var padded = nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Replicate);
        return nn.functional.conv2d(padded, _kernel, groups: c);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _kernel?.Dispose();
        base.Dispose(disposing);
    }
}
