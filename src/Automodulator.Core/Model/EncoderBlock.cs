using Automodulator.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Model;

/// <summary>
/// One encoder resolution block (paper App. B): two 3×3 convs, each conv → spectral norm → leaky ReLU(0.2), then
/// 2× average-pool down. The 4×4 block ends instead in a 4×4 valid conv to the latent width (no activation).
/// </summary>
public sealed class EncoderBlock : nn.Module<Tensor, Tensor>
{
    private readonly SpectralNormConv2d conv0;
    private readonly SpectralNormConv2d conv1;
    private readonly Scalar _slope;  // held: see HeldScalar
    private readonly bool _isLast;

    public EncoderBlock(string name, int inChannels, int outChannels, bool isLast, double slope) : base(name)
    {
        conv0 = new SpectralNormConv2d("conv0", inChannels, inChannels, 3);
        conv1 = isLast
            ? new SpectralNormConv2d("conv1", inChannels, outChannels, 4, padding: 0)
            : new SpectralNormConv2d("conv1", inChannels, outChannels, 3);
        _slope = HeldScalar.For(slope);
        _isLast = isLast;
        RegisterComponents();
    }

    public IEnumerable<SpectralNormConv2d> Convs => [conv0, conv1];

    public override Tensor forward(Tensor x)
    {
        // Under bf16 precision the activations stay bfloat16 from conv to conv inside the encoder (as autocast does):
        // no cast around every conv; the latent leaves in float32.
        using var scope = NewDisposeScope();
        var h = conv0.ForwardKeepingPrecision(x).leaky_relu(_slope);
        h = conv1.ForwardKeepingPrecision(h);
        h = _isLast ? h.flatten(1).to(ScalarType.Float32) : nn.functional.avg_pool2d(h.leaky_relu(_slope), 2);
        return h.MoveToOuterDisposeScope();
    }
}
