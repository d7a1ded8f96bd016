using Automodulator.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>
/// Per-pixel N(0, 1) noise times one learned scale per layer (paper App. B; StyleGAN Sec. 3.2), added to a conv's
/// output. Switched off for evaluation and while L_inv trains. The scale starts at 0 so noise is learned, not imposed.
/// </summary>
public sealed class LayerNoise : nn.Module<Tensor, Tensor>
{
    private readonly Parameter scale;

    public LayerNoise(string name) : base(name)
    {
        scale = new Parameter(zeros(1));
        RegisterComponents();
    }

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Draws the noise of every block on this thread (built-in and plugin) from <paramref name="generator"/> until the
    /// returned scope is disposed (the trainer's own seeded generator, so runs are reproducible even while other
    /// threads use torch's default generator). Without a scope the default generator is used. See <see cref="LayerNoiseSource"/>.
    /// </summary>
    public static IDisposable UseGenerator(Generator generator) => LayerNoiseSource.Use(generator);

    public Parameter Scale => scale;

    public override Tensor forward(Tensor x)
    {
        if (!Enabled) return x.alias();
        using var noise = LayerNoiseSource.Like(x);
        return x.addcmul(noise, scale, HeldScalar.One);
    }
}
