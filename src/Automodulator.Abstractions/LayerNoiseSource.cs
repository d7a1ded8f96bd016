using static TorchSharp.torch;

namespace Automodulator.Abstractions;

/// <summary>
/// Where per-pixel layer noise comes from (contract 1.1). The trainer installs its own generator, reseeded from
/// (seed, iteration), for the duration of each iteration; built-in and plugin blocks draw their noise through
/// <see cref="Like"/>, so a resumed run repeats an unbroken one exactly even with noise on, whatever other threads do
/// with torch's default generator. The generator is per thread (TorchSharp dispose scopes and training are too).
/// </summary>
public static class LayerNoiseSource
{
    [ThreadStatic] private static Generator? _current;

    /// <summary>The generator installed on this thread, or null (torch's default generator is used then).</summary>
    public static Generator? Current => _current;

    /// <summary>Installs <paramref name="generator"/> on this thread until the returned scope is disposed.</summary>
    public static IDisposable Use(Generator generator)
    {
        var previous = _current;
        _current = generator;
        return new Restore(previous);
    }

    /// <summary>N(0, 1) noise of shape [B, 1, H, W] for a feature map <paramref name="x"/> [B, C, H, W], from <see cref="Current"/>.</summary>
    public static Tensor Like(Tensor x) =>
        randn([x.shape[0], 1, x.shape[2], x.shape[3]], dtype: x.dtype, device: x.device, generator: _current);

    private sealed class Restore(Generator? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }
}
