using Automodulator.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModulatedResidual;

/// <summary>
/// skip(x) + γ · AdaIN(lrelu(conv(x) + noise), z): one modulated layer with a residual path. γ starts at 0, so a freshly
/// inserted block leaves a pretrained decoder's output exactly as it was, and training fades it in (the paper's closing
/// proposal: plugin layers trained afterwards on a pretrained automodulator, Sec. 5).
/// <para>Inserted after a block, it keeps resolution and width (skip = identity). Appended as a new resolution level,
/// it first upsamples 2× (nearest), and when the width changes the skip is a 1×1 projection; the decoder's fade-in α
/// takes the new level in from the level below, and γ then grows the modulated layer on top of the upsampled canvas.</para>
/// Layer noise is drawn from <see cref="LayerNoiseSource"/> (the trainer's seeded generator), so a resumed run
/// repeats an unbroken one.
/// </summary>
public sealed class ModulatedResidualBlock : ModulatedBlock
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Parameter noise_scale;
    private readonly Parameter style_weight;
    private readonly Parameter style_bias;
    private readonly Parameter gamma;
    private readonly Parameter? skip_weight;
    private readonly double _convScale;
    private readonly double _styleScale;
    private readonly double _skipScale;

    public ModulatedResidualBlock(string name, int channels, int latentDim) : this(name, channels, channels, latentDim, upsample: false) { }

    public ModulatedResidualBlock(string name, int inChannels, int outChannels, int latentDim, bool upsample) : base(name)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        LatentDim = latentDim;
        Upsamples = upsample;
        weight = new Parameter(randn(outChannels, inChannels, 3, 3));
        bias = new Parameter(zeros(outChannels));
        noise_scale = new Parameter(zeros(1));
        style_weight = new Parameter(randn(2 * outChannels, latentDim));
        style_bias = new Parameter(cat([ones(outChannels), zeros(outChannels)]));
        gamma = new Parameter(zeros(1));
        if (inChannels != outChannels) skip_weight = new Parameter(randn(outChannels, inChannels, 1, 1));
        _convScale = Math.Sqrt(2.0 / (inChannels * 9));   // equalised learning rate, as the base decoder
        _styleScale = 1.0 / Math.Sqrt(latentDim);
        _skipScale = 1.0 / Math.Sqrt(inChannels);
        RegisterComponents();
    }

    public override int InChannels { get; }
    public override int OutChannels { get; }
    public override bool Upsamples { get; }
    public override int LayerCount => 1;
    public override int LatentDim { get; }
    public override IReadOnlyList<int> StyleWidths => [2 * OutChannels];

    public override Tensor ForwardLayers(Tensor x, IReadOnlyList<Tensor> styles, int layerCount)
    {
        using var scope = NewDisposeScope();
        var input = Upsamples ? Upsample2x(x) : x;
        var skip = skip_weight is null ? input : nn.functional.conv2d(input, skip_weight * _skipScale);
        if (layerCount == 0) return skip.alias().MoveToOuterDisposeScope();
        var h = nn.functional.conv2d(input, weight * _convScale, bias, padding: [1, 1]);
        if (NoiseEnabled) h = h + LayerNoiseSource.Like(h) * noise_scale;
        h = nn.functional.leaky_relu(h, 0.2);
        var centred = h - h.mean([2, 3], keepdim: true);
        var normalised = centred / (centred.square().mean([2, 3], keepdim: true) + 1e-8).sqrt();
        var sm = nn.functional.linear(styles[0], style_weight * _styleScale, style_bias).chunk(2, dim: 1);
        var y = normalised * sm[0].unsqueeze(-1).unsqueeze(-1) + sm[1].unsqueeze(-1).unsqueeze(-1);
        return (skip + gamma * y).MoveToOuterDisposeScope();
    }

    /// <summary>Nearest-neighbour 2× upsampling (a broadcast view plus one copy).</summary>
    private static Tensor Upsample2x(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        using var view = x.unsqueeze(3).unsqueeze(5).expand(b, c, h, 2, w, 2);
        return view.reshape(b, c, 2 * h, 2 * w);
    }
}
