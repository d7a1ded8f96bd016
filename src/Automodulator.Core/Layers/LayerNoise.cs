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

    [ThreadStatic] private static Generator? _generator;

    /// <summary>
    /// Draws the noise of every <see cref="LayerNoise"/> on this thread from <paramref name="generator"/> until the
    /// returned scope is disposed (the trainer's own seeded generator, so runs are reproducible even while other
    /// threads use torch's default generator). Without a scope the default generator is used.
    /// </summary>
    public static IDisposable UseGenerator(Generator generator)
    {
        var previous = _generator;
        _generator = generator;
        return new Restore(previous);
    }

    private sealed class Restore(Generator? previous) : IDisposable
    {
        public void Dispose() => _generator = previous;
    }

    public Parameter Scale => scale;

    public override Tensor forward(Tensor x)
    {
        if (!Enabled) return x.alias();
        using var noise = randn([x.shape[0], 1, x.shape[2], x.shape[3]], dtype: x.dtype, device: x.device, generator: _generator);
        return x.addcmul(noise, scale, 1);
    }
}
