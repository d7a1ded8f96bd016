using Automodulator.Abstractions;
using Automodulator.Core.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Model;

/// <summary>
/// The built-in decoder block (paper App. B, Fig. 6): optional 2× nearest upsampling, then per layer
/// conv 3×3 (equalised LR) → [binomial blur on the first layer] → layer noise → leaky ReLU → AdaIN driven by that
/// layer's own latent. Per-resolution blocks have two layers; the extra 8×8 block for L_inv has one.
/// </summary>
public sealed class ModulatedConvBlock : ModulatedBlock
{
    /// <summary>The registry name of this block type.</summary>
    public const string TypeName = "modulated-conv";

    private readonly ModuleList<EqualizedConv2d> convs;
    private readonly ModuleList<LayerNoise> noises;
    private readonly ModuleList<AdaIn> adains;
    private readonly BinomialBlur blur;
    private readonly Scalar _slope;  // held: see HeldScalar

    public ModulatedConvBlock(string name, int inChannels, int outChannels, int latentDim, bool upsample, int layers = 2,
        double slope = 0.2) : base(name)
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers));
        InChannels = inChannels;
        OutChannels = outChannels;
        Upsamples = upsample;
        LatentDim = latentDim;
        _slope = HeldScalar.For(slope);
        convs = new ModuleList<EqualizedConv2d>();
        noises = new ModuleList<LayerNoise>();
        adains = new ModuleList<AdaIn>();
        for (int i = 0; i < layers; i++)
        {
            convs.Add(new EqualizedConv2d($"conv{i}", i == 0 ? inChannels : outChannels, outChannels, 3));
            noises.Add(new LayerNoise($"noise{i}"));
            adains.Add(new AdaIn($"adain{i}", outChannels, latentDim));
        }
        blur = new BinomialBlur("blur");
        StyleWidths = adains.Select(a => a.StyleWidth).ToArray();
        RegisterComponents();
    }

    public override int InChannels { get; }
    public override int OutChannels { get; }
    public override bool Upsamples { get; }
    public override int LayerCount => convs.Count;
    public override int LatentDim { get; }
    public override IReadOnlyList<int> StyleWidths { get; }

    /// <summary>The AdaIN of layer <paramref name="i"/> (0-based within the block).</summary>
    public AdaIn AdaInOf(int i) => adains[i];

    public EqualizedConv2d ConvOf(int i) => convs[i];

    public override Tensor ForwardLayers(Tensor x, IReadOnlyList<Tensor> styles, int layerCount)
    {
        if (styles.Count < layerCount)
            throw new ArgumentException($"Block {GetName()} needs {layerCount} latents, got {styles.Count}.");
        using var scope = NewDisposeScope();
        var h = x;
        for (int i = 0; i < layerCount; i++)
        {
            h = i == 0 && Upsamples ? convs[0].ForwardUpsampled(h) : convs[i].call(h);
            if (i == 0) h = blur.call(h);
            noises[i].Enabled = NoiseEnabled;
            h = noises[i].call(h);
            h = h.leaky_relu(_slope);
            h = adains[i].call(h, styles[i]);
        }
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Nearest-neighbour 2× upsampling as a broadcast view plus one copy: the same values as
    /// interpolate(mode: nearest), but its backward is a plain reduction, about 3× cheaper on the CPU than
    /// interpolate's scatter-style backward (measured: 16→32, 64 channels, batch 16).
    /// </summary>
    public static Tensor Upsample2x(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        using var view = x.unsqueeze(3).unsqueeze(5).expand(b, c, h, 2, w, 2);
        return view.reshape(b, c, 2 * h, 2 * w);
    }
}
