using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Abstractions;

/// <summary>
/// A decoder block: one or more modulated conv layers, each driven by its own latent. The built-in per-resolution
/// block and plugin blocks implement this same contract, so the decoder treats them alike.
/// <c>forward(x, styles)</c> runs every layer; <see cref="ForwardLayers"/> stops early, which the decoder uses to
/// return the intermediate canvas ξ⁽ʲ⁾ (needed by L_j).
/// </summary>
public abstract class ModulatedBlock : nn.Module<Tensor, IReadOnlyList<Tensor>, Tensor>
{
    protected ModulatedBlock(string name) : base(name) { }

    /// <summary>Channels read from the previous block.</summary>
    public abstract int InChannels { get; }

    /// <summary>Channels handed to the next block and to toRGB.</summary>
    public abstract int OutChannels { get; }

    /// <summary>True when the block doubles the spatial resolution of its input.</summary>
    public abstract bool Upsamples { get; }

    /// <summary>Number of modulated layers, i.e. latents this block reads.</summary>
    public abstract int LayerCount { get; }

    /// <summary>Width of the latent each layer reads.</summary>
    public abstract int LatentDim { get; }

    /// <summary>Width of each layer's style (its AdaIN affine output, 2C for C channels).</summary>
    public abstract IReadOnlyList<int> StyleWidths { get; }

    /// <summary>
    /// Per-pixel layer noise on or off (off for evaluation and while L_inv trains). Draw it with
    /// <see cref="LayerNoiseSource.Like"/> (the trainer's seeded generator), never from torch's default generator, so
    /// a resumed run repeats an unbroken one.
    /// </summary>
    public bool NoiseEnabled { get; set; } = true;

    /// <summary>Runs the first <paramref name="layerCount"/> layers with <paramref name="styles"/>[i] driving layer i.</summary>
    public abstract Tensor ForwardLayers(Tensor x, IReadOnlyList<Tensor> styles, int layerCount);

    public override Tensor forward(Tensor x, IReadOnlyList<Tensor> styles) => ForwardLayers(x, styles, LayerCount);
}
