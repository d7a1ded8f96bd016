using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;
using Automodulator.Core.Layers;
using Automodulator.Core.Registry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Model;

/// <summary>
/// The decoder θ (paper Sec. 3.1, App. B): a learned constant 4×4 canvas ξ⁽⁰⁾, a sequence of modulated blocks, and a
/// toRGB per resolution. Every conv layer reads its own latent from a <see cref="LayerLatents"/> assignment, so a
/// plain decode, a style mix and the L_j / L_inv terms are the same call. With α &lt; 1 the output is
/// α·toRGB_R + (1−α)·upsample(toRGB_{R/2}) (progressive growing fade-in).
/// </summary>
public sealed class Decoder : nn.Module<LayerLatents, DecodeSpec, Tensor>
{
    private readonly Parameter constant;
    private readonly ModuleDict<ModulatedBlock> blocks;
    private readonly ModuleDict<EqualizedConv2d> to_rgb;
    private readonly List<int> _blockResolutions = [];
    private readonly ModelConfig _config;

    /// <param name="registry">Where plugin block types come from; needed only when the configuration has plugin blocks.</param>
    public Decoder(string name, ModelConfig config, ComponentRegistry? registry = null) : base(name)
    {
        _config = config;
        constant = new Parameter(ones(1, config.DecoderChannels[0], 4, 4));
        blocks = new ModuleDict<ModulatedBlock>();
        to_rgb = new ModuleDict<EqualizedConv2d>();
        for (int level = 0; level < config.Levels; level++)
        {
            int res = ModelConfig.ResolutionOf(level);
            int c = config.DecoderChannels[level];
            int inC = level == 0 ? c : config.DecoderChannels[level - 1];
            bool upsample = level > 0;
            if (config.ExtraLayerResolution == res)
            {
                AddBlock($"extra{Encoder.Key(res)}", res,
                    new ModulatedConvBlock($"extra{Encoder.Key(res)}", inC, c, config.LatentDim, upsample: true, layers: 1, slope: config.LeakySlope));
                inC = c;
                upsample = false;
            }
            // A level appended on a pretrained base may hold a plugin's block; the built-in one is built as any level.
            var appended = config.AppendedAt(res);
            AddBlock(Encoder.Key(res), res, appended is { IsBuiltIn: false }
                ? CreateAppendedBlock(appended, inC, c, registry)
                : new ModulatedConvBlock(Encoder.Key(res), inC, c, config.LatentDim, upsample, BuiltInLayers(appended), config.LeakySlope));
            to_rgb.Add(Encoder.Key(res), new EqualizedConv2d(Encoder.Key(res), c, 3, 1, gain: 1.0));
        }
        foreach (var plugin in config.PluginBlocks) InsertPluginBlock(plugin, registry);
        RegisterComponents();
    }

    /// <summary>Creates a plugin block through the registry and inserts it after the block it names.</summary>
    private void InsertPluginBlock(PluginBlockConfig plugin, ComponentRegistry? registry)
    {
        if (registry is null || !registry.HasBlock(plugin.Type)) throw new MissingPluginException(plugin);
        var keys = OrderedBlocks.Select(b => b.Key).ToList();
        int at = keys.IndexOf(plugin.After);
        if (at < 0) throw new ArgumentException($"Plugin block '{plugin.Key}' should follow block '{plugin.After}', which this decoder does not have ({string.Join(", ", keys)}).");
        if (keys.Contains(plugin.Key)) throw new ArgumentException($"The decoder already has a block named '{plugin.Key}'.");
        var after = blocks[plugin.After];
        int res = _blockResolutions[at];
        var block = registry.CreateBlock(plugin.Type, new BlockSpec(after.OutChannels, after.OutChannels, _config.LatentDim, false, res, plugin.Options));
        if (block.Upsamples || block.InChannels != after.OutChannels || block.OutChannels != after.OutChannels)
            throw new ArgumentException($"Plugin block '{plugin.Key}' ({plugin.Type}) must keep resolution and width {after.OutChannels} to follow '{plugin.After}'.");
        blocks.Insert(at + 1, (plugin.Key, block));
        _blockResolutions.Insert(at + 1, res);
    }

    /// <summary>Creates an appended level's block through the registry: it must upsample from the level below.</summary>
    private ModulatedBlock CreateAppendedBlock(AppendedBlockConfig appended, int inChannels, int outChannels, ComponentRegistry? registry)
    {
        if (registry is null || !registry.HasBlock(appended.Type)) throw new MissingPluginException(appended);
        var block = registry.CreateBlock(appended.Type, new BlockSpec(inChannels, outChannels, _config.LatentDim, true, appended.Resolution, appended.Options));
        if (!block.Upsamples || block.InChannels != inChannels || block.OutChannels != outChannels || block.LatentDim != _config.LatentDim || block.LayerCount < 1)
            throw new ArgumentException(
                $"The appended {appended.Key} block ({appended.Type}) must upsample 2× from {inChannels} to {outChannels} channels with latents of width " +
                $"{_config.LatentDim} and at least one layer; the plugin built one that upsamples: {block.Upsamples}, {block.InChannels} → {block.OutChannels} channels, " +
                $"latent {block.LatentDim}, {block.LayerCount} layers.");
        return block;
    }

    /// <summary>Layers of a built-in level: 2, or an appended built-in block's "layers" option.</summary>
    private static int BuiltInLayers(AppendedBlockConfig? appended)
    {
        if (appended is null || !appended.Options.TryGetValue("layers", out var text)) return 2;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1
            ? n
            : throw new ArgumentException($"The appended {appended.Key} block's option layers={text} is not a positive whole number.");
    }

    /// <summary>State-dict prefixes of the plugin blocks ("blocks.KEY."), for freezing everything else.</summary>
    public IReadOnlyList<string> PluginPrefixes => _config.PluginBlocks.Select(p => $"blocks.{p.Key}.").ToArray();

    private void AddBlock(string key, int resolution, ModulatedBlock block)
    {
        blocks.Add(key, block);
        _blockResolutions.Add(resolution);
    }

    public ModelConfig Config => _config;

    // ModuleDict keeps decode order in its list; its values() follow insertion order instead, so always go through this.
    private IEnumerable<(string Key, ModulatedBlock Block)> OrderedBlocks => blocks;

    /// <summary>Output resolution of every conv layer, in decode order (layer i + 1 at index i).</summary>
    public IReadOnlyList<int> LayerResolutions =>
        Enumerable.Zip(OrderedBlocks.Select(b => b.Block), _blockResolutions).SelectMany(p => Enumerable.Repeat(p.Second, p.First.LayerCount)).ToArray();

    /// <summary>Number of conv layers up to and including resolution <paramref name="resolution"/>.</summary>
    public int LayerCountUpTo(int resolution) => LayerResolutions.Count(r => r <= resolution);

    /// <summary>Total number of conv layers (latents a full assignment needs).</summary>
    public int LayerCount => LayerResolutions.Count;

    /// <summary>Blocks in decode order with their state-dict key and output resolution.</summary>
    public IEnumerable<(string Key, ModulatedBlock Block, int Resolution)> Blocks =>
        Enumerable.Zip(OrderedBlocks, _blockResolutions).Select(p => (p.First.Item1, p.First.Item2, p.Second));

    public IEnumerable<(string Name, nn.Module Module)> NamedToRgb() => ((IEnumerable<(string, EqualizedConv2d)>)to_rgb).Select(p => ($"to_rgb.{p.Item1}", (nn.Module)p.Item2));

    /// <summary>Turns per-pixel layer noise on or off in every block.</summary>
    public bool NoiseEnabled
    {
        get => OrderedBlocks.All(b => b.Block.NoiseEnabled);
        set { foreach (var (_, b) in OrderedBlocks) b.NoiseEnabled = value; }
    }

    /// <summary>A plain decode: the same z drives every layer.</summary>
    public Tensor Decode(Tensor z, int resolution, double alpha = 1.0) =>
        call(LayerLatents.Uniform(z, LayerCount), new DecodeSpec(resolution, alpha));

    public override Tensor forward(LayerLatents latents, DecodeSpec spec) => Run(latents, spec, null, 0, out _);

    /// <summary>
    /// One decode that also returns the intermediate canvas ξ⁽ʲ⁾ after layer <paramref name="captureAfterLayer"/>
    /// (1-based) for the first <paramref name="captureRows"/> rows of the batch: what L_j compares against, without a
    /// second pass (paper Sec. 3.2). When j ends a block the canvas is that block's output; otherwise only the j-th
    /// block's leading layers are re-run, for the captured rows alone.
    /// </summary>
    public (Tensor Image, Tensor Canvas) DecodeWithCanvas(LayerLatents latents, DecodeSpec spec, int captureAfterLayer, int captureRows)
    {
        if (spec.StopAfterLayer is not null) throw new ArgumentException("DecodeWithCanvas decodes to RGB; leave StopAfterLayer unset.");
        if (captureRows < 1 || captureRows > latents[0].shape[0])
            throw new ArgumentOutOfRangeException(nameof(captureRows), $"captureRows must be in 1..{latents[0].shape[0]}; got {captureRows}.");
        var image = Run(latents, spec, captureAfterLayer, captureRows, out var canvas);
        return (image, canvas!);
    }

    private Tensor Run(LayerLatents latents, DecodeSpec spec, int? capture, int captureRows, out Tensor? canvas)
    {
        canvas = null;
        int res = spec.Resolution;
        if (res < 4 || res > _config.MaxResolution || (res & (res - 1)) != 0)
            throw new ArgumentException($"Decode resolution must be a power of two in 4..{_config.MaxResolution}; got {res}.");
        int needed = LayerCountUpTo(res);
        if (capture is { } c && (c < 1 || c > needed))
            throw new ArgumentOutOfRangeException(nameof(capture), $"The canvas to capture must be after a layer in 1..{needed} at {res}×{res}; got {c}.");
        if (spec.StopAfterLayer is { } j && (j < 1 || j > needed))
            throw new ArgumentOutOfRangeException(nameof(spec), $"StopAfterLayer must be in 1..{needed} at {res}×{res}; got {j}.");
        if (latents.Count < needed)
            throw new ArgumentException($"Decoding at {res}×{res} needs latents for {needed} layers; the assignment has {latents.Count}.");

        using var scope = NewDisposeScope();
        long batch = latents[0].shape[0];
        Tensor x = constant.expand(batch, -1, -1, -1);
        Tensor? previousResolutionOutput = null;
        int layer = 0;
        foreach (var (_, block, blockRes) in Blocks)
        {
            if (blockRes > res) break;
            int n = block.LayerCount;
            if (spec.StopAfterLayer is { } stop && layer + n >= stop)
                return block.ForwardLayers(x, latents.Slice(layer, n), stop - layer).MoveToOuterDisposeScope();
            var input = x;
            x = block.call(x, latents.Slice(layer, n));
            if (capture is { } cap && cap > layer && cap <= layer + n)
            {
                var captured = cap == layer + n
                    ? x[..captureRows]
                    : block.ForwardLayers(input[..captureRows], latents.Slice(layer, n).Select(t => t[..captureRows]).ToArray(), cap - layer);
                canvas = captured.MoveToOuterDisposeScope();
            }
            if (blockRes == res / 2) previousResolutionOutput = x;
            layer += n;
        }

        var rgb = to_rgb[Encoder.Key(res)].call(x);
        if (spec.Alpha < 1.0 && res > 4)
        {
            var previous = to_rgb[Encoder.Key(res / 2)].call(previousResolutionOutput!);
            var up = nn.functional.interpolate(previous, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
            rgb = rgb * spec.Alpha + up * (1.0 - spec.Alpha);
        }
        return rgb.MoveToOuterDisposeScope();
    }
}
