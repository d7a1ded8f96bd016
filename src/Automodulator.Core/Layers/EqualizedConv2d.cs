using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>
/// Conv2d with the equalised learning rate of progressive GANs (Karras et al. 2018, Sec. 4.1): weights are stored as
/// N(0, 1) and scaled at run time by gain/√fan_in, so Adam's per-parameter step is the same for every layer.
/// The scale is a constant multiply in forward (no hooks), so the stored weight stays the trained parameter.
/// </summary>
public sealed class EqualizedConv2d : nn.Module<Tensor, Tensor>, IPrecisionSwitchable
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly long _padding;
    private readonly Scalar _scale;  // held: see HeldScalar

    public EqualizedConv2d(string name, int inChannels, int outChannels, int kernelSize, double gain = 1.4142135623730951,
        bool useBias = true) : base(name)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        weight = new Parameter(randn(outChannels, inChannels, kernelSize, kernelSize));
        bias = useBias ? new Parameter(zeros(outChannels)) : null;
        WeightScale = gain / Math.Sqrt(inChannels * kernelSize * kernelSize);
        _scale = WeightScale.ToScalar();
        _padding = kernelSize / 2;
        RegisterComponents();
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }

    /// <summary>gain/√fan_in, the run-time multiplier of the stored weight.</summary>
    public double WeightScale { get; }

    /// <summary>The stored (unscaled) weight.</summary>
    public Parameter Weight => weight;

    /// <summary>The weight the convolution actually uses.</summary>
    public Tensor EffectiveWeight() => weight.mul(_scale);

    /// <summary>Operand precision; 1×1 convolutions (toRGB) always run in float32.</summary>
    public ConvPrecision Precision { get; set; }

    /// <summary>
    /// This convolution applied to the 2× nearest-neighbour upsampling of <paramref name="x"/>, computed without
    /// building the upsampled map: each output pixel of phase (a, b) sees a 2×2 neighbourhood of x whose weights are
    /// sums of the 3×3 taps, i.e. one stride-2 transposed convolution with a 4×4 kernel (the fused upscale2d_conv2d
    /// of progressive GANs / StyleGAN). Same values, zero-padded border included, with 4 instead of 9
    /// multiply-adds per output pixel and no 4× larger input in memory.
    /// </summary>
    public Tensor ForwardUpsampled(Tensor x)
    {
        if (KernelSize != 3) throw new InvalidOperationException("The fused upsampling convolution is defined for 3×3 kernels.");
        using var scope = NewDisposeScope();
        // conv_transpose2d takes [in, out, kh, kw] and correlates with the kernel flipped, hence permute + flip.
        var w = weight.mul(_scale).permute(1, 0, 2, 3).flip(2, 3);
        var p = nn.functional.pad(w, [1, 1, 1, 1]);
        var w4 = p[.., .., 1.., 1..] + p[.., .., ..^1, 1..] + p[.., .., 1.., ..^1] + p[.., .., ..^1, ..^1];
        return PrecisionConv.ConvTranspose2dStride2(x, w4, bias, Precision).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x) =>
        PrecisionConv.Conv2d(x, weight.mul(_scale), bias, _padding, KernelSize > 1 ? Precision : ConvPrecision.Float32);
}
