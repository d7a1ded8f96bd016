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
    // One kernel per (device, dtype, channels), made on first use. Batch shards call the module from several threads,
    // so kernels are made under a lock and never replaced while another call may be using them.
    private readonly Dictionary<(string Device, ScalarType Type, long Channels), Tensor> _kernels = [];

    public BinomialBlur(string name) : base(name)
    {
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long c = x.shape[1];
        var kernel = KernelFor(x.device, x.dtype, c);
        using var padded = nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Replicate);
        return nn.functional.conv2d(padded, kernel, groups: c);
    }

    private Tensor KernelFor(Device device, ScalarType type, long channels)
    {
        var key = (device.ToString(), type, channels);
        lock (_kernels)
        {
            if (_kernels.TryGetValue(key, out var kernel)) return kernel;
            using var k1 = tensor(new float[] { 0.25f, 0.5f, 0.25f });
            using var k2 = k1.outer(k1).reshape(1, 1, 3, 3);
            using var typed = k2.to(type, device);
            kernel = typed.expand(channels, 1, 3, 3).contiguous().DetachFromDisposeScope();
            _kernels[key] = kernel;
            return kernel;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) foreach (var k in _kernels.Values) k.Dispose();
        base.Dispose(disposing);
    }
}
