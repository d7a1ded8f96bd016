using Automodulator.Abstractions;
using Automodulator.Core.Layers;
using Automodulator.Core.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Model;

/// <summary>
/// Encoder φ and decoder θ built from one <see cref="ModelConfig"/>. State-dict names are stable and readable:
/// <c>encoder.blocks.16x16.conv0.weight</c>, <c>decoder.blocks.8x8.adain1.style.weight</c>, <c>decoder.to_rgb.32x32.bias</c>.
/// The EMA decoder used for evaluation is a second <see cref="Decoder"/> owned by the trainer.
/// </summary>
public sealed class AutomodulatorNetwork : nn.Module
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;

    /// <param name="registry">Supplies plugin block types; needed only when <paramref name="config"/> has plugin blocks.</param>
    public AutomodulatorNetwork(ModelConfig config, ComponentRegistry? registry = null) : base("automodulator")
    {
        Config = config.Validate();
        encoder = new Encoder("encoder", config);
        decoder = new Decoder("decoder", config, registry);
        RegisterComponents();
        // A model outlives any step: never let an enclosing dispose scope take its weights with it.
        foreach (var p in parameters()) p.DetachFromDisposeScope();
        foreach (var b in buffers()) b.DetachFromDisposeScope();
    }

    public ModelConfig Config { get; }
    public Encoder Encoder => encoder;
    public Decoder Decoder => decoder;

    /// <summary>Builds a network with weights initialised from <paramref name="seed"/> (deterministic on CPU).</summary>
    public static AutomodulatorNetwork Create(ModelConfig config, long seed, ComponentRegistry? registry = null)
    {
        manual_seed(seed);
        return new AutomodulatorNetwork(config, registry);
    }

    /// <summary>
    /// Operand precision of every built-in spatial convolution (encoder and decoder). Plugin blocks keep their own.
    /// </summary>
    public ConvPrecision ConvPrecision
    {
        get => modules().OfType<IPrecisionSwitchable>().Select(m => m.Precision).FirstOrDefault();
        set { foreach (var m in modules().OfType<IPrecisionSwitchable>()) m.Precision = value; }
    }

    /// <summary>True for parameters that belong to a plugin block (state-dict name under decoder.blocks.KEY.).</summary>
    public bool IsPluginParameter(string name) =>
        Decoder.PluginPrefixes.Any(p => name.StartsWith("decoder." + p, StringComparison.Ordinal));

    /// <summary>True for state entries of the plugin blocks <paramref name="pluginKeys"/> (decoder.blocks.KEY.*).</summary>
    public static bool IsUnder(string name, IEnumerable<string> pluginKeys) =>
        pluginKeys.Any(k => name.StartsWith($"decoder.blocks.{k}.", StringComparison.Ordinal));

    /// <summary>
    /// Freezes every base parameter (requires_grad = false) and leaves only the plugin blocks trainable, so training
    /// updates the plugin alone (paper Sec. 5: plugin layers trained afterwards on a pretrained automodulator).
    /// With <paramref name="pluginKeys"/> only those plugin blocks stay trainable (a base that already carries
    /// plugin blocks keeps them frozen). Returns the number of trainable parameters left.
    /// </summary>
    public long FreezeBase(IReadOnlyCollection<string>? pluginKeys = null) =>
        FreezeAllBut(pluginKeys is null
            ? Decoder.PluginPrefixes.Select(p => "decoder." + p).ToArray()
            : pluginKeys.Select(k => $"decoder.blocks.{k}.").ToArray());

    /// <summary>True when <paramref name="name"/> starts with one of <paramref name="prefixes"/> (state-dict prefixes ending in '.').</summary>
    public static bool IsUnderAny(string name, IEnumerable<string> prefixes) =>
        prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// Freezes every parameter except those under <paramref name="trainablePrefixes"/> (state-dict prefixes such as
    /// "decoder.blocks.32x32."): the new blocks on a pretrained base, inserted or appended. Returns the number of
    /// trainable parameters left.
    /// </summary>
    public long FreezeAllBut(IReadOnlyCollection<string> trainablePrefixes)
    {
        long trainable = 0;
        foreach (var (name, p) in named_parameters())
        {
            bool train = IsUnderAny(name, trainablePrefixes);
            p.requires_grad_(train);
            if (train) trainable += p.NumberOfElements;
        }
        return trainable;
    }

    /// <summary>
    /// State-dict prefixes of what was added on top of the base named by <see cref="ModelConfig.BaseIdentity"/>:
    /// <see cref="ModelConfig.AddedToBase"/>, or for models written before it was recorded, the plugin blocks.
    /// </summary>
    public IReadOnlyList<string> AddedToBasePrefixes => Config.AddedToBase.Length > 0
        ? Config.AddedToBase
        : Config.PluginBlocks.Select(p => $"decoder.blocks.{p.Key}.").ToArray();

    /// <summary>The base's part of the state, by tensor name: every entry not under <see cref="AddedToBasePrefixes"/>.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> BaseState()
    {
        var added = AddedToBasePrefixes;
        return state_dict().Where(kv => !IsUnderAny(kv.Key, added));
    }

    /// <summary>A model view for edits: fixed resolution, α = 1, evaluation mode (noise off). Call under no_grad.</summary>
    public IAutomodulator AsAutomodulator(int resolution, Device device)
    {
        eval();
        Decoder.NoiseEnabled = false;
        return new TrainedAutomodulator(this, resolution, device);
    }

    private sealed class TrainedAutomodulator(AutomodulatorNetwork net, int resolution, Device device) : IAutomodulator
    {
        public int Resolution => resolution;
        public int LatentDim => net.Config.LatentDim;
        public IReadOnlyList<int> LayerResolutions { get; } = net.Decoder.LayerResolutions.Where(r => r <= resolution).ToArray();
        public Device Device => device;
        public Tensor Encode(Tensor images) => net.Encoder.call(images, 1.0);
        public Tensor Decode(LayerLatents latents) => net.Decoder.call(latents, new DecodeSpec(resolution));
    }
}
