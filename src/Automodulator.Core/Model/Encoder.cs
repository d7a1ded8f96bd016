using Automodulator.Core.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Model;

/// <summary>
/// The encoder φ: fromRGB at the input's resolution, resolution blocks down to 4×4, and a latent normalised to the
/// unit sphere (paper Sec. 3.1). The input resolution picks where to start, so one encoder serves every phase of
/// progressive growing; with α &lt; 1 the new top block is faded in against fromRGB of the 2× downsampled image
/// (Karras et al. 2018, Sec. 3).
/// </summary>
public sealed class Encoder : nn.Module<Tensor, double, Tensor>
{
    private readonly ModuleDict<Conv2d> from_rgb;
    private readonly ModuleDict<EncoderBlock> blocks;
    private readonly ModelConfig _config;

    public Encoder(string name, ModelConfig config) : base(name)
    {
        _config = config;
        from_rgb = new ModuleDict<Conv2d>();
        blocks = new ModuleDict<EncoderBlock>();
        for (int level = 0; level < config.Levels; level++)
        {
            int res = ModelConfig.ResolutionOf(level);
            int c = config.EncoderChannels[level];
            from_rgb.Add(Key(res), nn.Conv2d(3, c, 1));
            bool last = level == 0;
            int outC = last ? config.LatentDim : config.EncoderChannels[level - 1];
            blocks.Add(Key(res), new EncoderBlock(Key(res), c, outC, last, config.LeakySlope));
        }
        RegisterComponents();
    }

    /// <summary>The state-dict key of a resolution ("16x16").</summary>
    public static string Key(int resolution) => $"{resolution}x{resolution}";

    public IEnumerable<(string Name, nn.Module Module)> NamedBlocks()
    {
        foreach (var (k, b) in blocks) yield return ($"blocks.{k}", b);
        foreach (var (k, m) in from_rgb) yield return ($"from_rgb.{k}", m);
    }

    public IEnumerable<SpectralNormConv2d> SpectralNormConvs => blocks.values().SelectMany(b => b.Convs);

    /// <summary>The spectral-norm convs that a pass at <paramref name="resolution"/> runs (blocks of that size and below).</summary>
    public IEnumerable<SpectralNormConv2d> SpectralNormConvsUpTo(int resolution)
    {
        for (int r = resolution; r >= 4; r /= 2)
            foreach (var c in blocks[Key(r)].Convs) yield return c;
    }

    /// <summary>φ(x) for x of shape [B, 3, R, R] with R ≤ MaxResolution; α blends in the R block.</summary>
    public override Tensor forward(Tensor x, double alpha)
    {
        int res = (int)x.shape[3];
        if (x.shape[2] != res || res < 4 || res > _config.MaxResolution || (res & (res - 1)) != 0)
            throw new ArgumentException(
                $"The encoder takes square images of a power-of-two size in 4..{_config.MaxResolution}; got {x.shape[2]}×{res}.");
        using var scope = NewDisposeScope();
        using var slope = _config.LeakySlope.ToScalar();  // held past the calls: see HeldScalar
        var h = blocks[Key(res)].call(from_rgb[Key(res)].call(x).leaky_relu(slope));
        if (alpha < 1.0 && res > 4)
        {
            var skip = from_rgb[Key(res / 2)].call(nn.functional.avg_pool2d(x, 2)).leaky_relu(slope);
            h = h * alpha + skip * (1.0 - alpha);
        }
        for (int r = res / 2; r >= 4; r /= 2)
            h = blocks[Key(r)].call(h);
        return nn.functional.normalize(h, dim: 1).MoveToOuterDisposeScope();
    }
}
