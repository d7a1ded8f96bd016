using Automodulator.Abstractions;
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

    public AutomodulatorNetwork(ModelConfig config) : base("automodulator")
    {
        Config = config.Validate();
        encoder = new Encoder("encoder", config);
        decoder = new Decoder("decoder", config);
        RegisterComponents();
        // A model outlives any step: never let an enclosing dispose scope take its weights with it.
        foreach (var p in parameters()) p.DetachFromDisposeScope();
        foreach (var b in buffers()) b.DetachFromDisposeScope();
    }

    public ModelConfig Config { get; }
    public Encoder Encoder => encoder;
    public Decoder Decoder => decoder;

    /// <summary>Builds a network with weights initialised from <paramref name="seed"/> (deterministic on CPU).</summary>
    public static AutomodulatorNetwork Create(ModelConfig config, long seed)
    {
        manual_seed(seed);
        return new AutomodulatorNetwork(config);
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
