using Automodulator.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModulatedResidual;

/// <summary>
/// x + γ · AdaIN(lrelu(conv(x) + noise), z): one extra modulated layer at the resolution it is inserted at. γ starts
/// at 0, so a freshly inserted block leaves a pretrained decoder's output exactly as it was, and training fades it
/// in (the paper's closing proposal: plugin layers trained afterwards on a pretrained automodulator, Sec. 5).
/// </summary>
public sealed class ModulatedResidualBlock : ModulatedBlock
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Parameter noise_scale;
    private readonly Parameter style_weight;
    private readonly Parameter style_bias;
    private readonly Parameter gamma;
    private readonly double _convScale;
    private readonly double _styleScale;

    public ModulatedResidualBlock(string name, int channels, int latentDim) : base(name)
    {
        Channels = channels;
        LatentDim = latentDim;
        weight = new Parameter(randn(channels, channels, 3, 3));
        bias = new Parameter(zeros(channels));
        noise_scale = new Parameter(zeros(1));
        style_weight = new Parameter(randn(2 * channels, latentDim));
        style_bias = new Parameter(cat([ones(channels), zeros(channels)]));
        gamma = new Parameter(zeros(1));
        _convScale = Math.Sqrt(2.0 / (channels * 9));   // equalised learning rate, as the base decoder
        _styleScale = 1.0 / Math.Sqrt(latentDim);
        RegisterComponents();
    }

    public int Channels { get; }
    public override int InChannels => Channels;
    public override int OutChannels => Channels;
    public override bool Upsamples => false;
    public override int LayerCount => 1;
    public override int LatentDim { get; }
    public override IReadOnlyList<int> StyleWidths => [2 * Channels];

    public override Tensor ForwardLayers(Tensor x, IReadOnlyList<Tensor> styles, int layerCount)
    {
        if (layerCount == 0) return x.alias();
        using var scope = NewDisposeScope();
        var h = nn.functional.conv2d(x, weight * _convScale, bias, padding: [1, 1]);
        if (NoiseEnabled) h = h + randn(h.shape[0], 1, h.shape[2], h.shape[3], dtype: h.dtype, device: h.device) * noise_scale;
        h = nn.functional.leaky_relu(h, 0.2);
        var centred = h - h.mean([2, 3], keepdim: true);
        var normalised = centred / (centred.square().mean([2, 3], keepdim: true) + 1e-8).sqrt();
        var sm = nn.functional.linear(styles[0], style_weight * _styleScale, style_bias).chunk(2, dim: 1);
        var y = normalised * sm[0].unsqueeze(-1).unsqueeze(-1) + sm[1].unsqueeze(-1).unsqueeze(-1);
        return (x + gamma * y).MoveToOuterDisposeScope();
    }
}
