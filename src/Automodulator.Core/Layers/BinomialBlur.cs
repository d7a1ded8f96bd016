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
        return nn.functional.conv2d(padded, DepthwiseKernel(c, x.dtype, x.device), groups: c);
    }

    private Tensor? _depthwise;

    /// <summary>The kernel repeated for <paramref name="channels"/> channels, made once per shape, dtype and device.</summary>
    private Tensor DepthwiseKernel(long channels, ScalarType dtype, Device device)
    {
        var k = _depthwise;
        if (k is not null && !k.IsInvalid && k.shape[0] == channels && k.dtype == dtype && k.device == device) return k;
        k?.Dispose();
        using var converted = _kernel.to(dtype, device);
        _depthwise = converted.expand(channels, 1, 3, 3).contiguous().DetachFromDisposeScope();
        return _depthwise;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _depthwise?.Dispose();
        base.Dispose(disposing);
    }
}
