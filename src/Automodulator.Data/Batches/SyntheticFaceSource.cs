using System.Collections.Concurrent;
using Automodulator.Data.Imaging;
using Automodulator.Data.Synthetic;

namespace Automodulator.Data.Batches;

/// <summary>
/// A data set of <paramref name="count"/> synthetic faces named by a seed: face i has the factors
/// <c>FaceFactors.Sample(SeededRandom.Derive(seed, i))</c> and is rendered directly at whatever resolution is asked
/// (anti-aliased, so a lower level is a clean render rather than a box-filtered one). Nothing to download, no disk.
/// </summary>
/// <param name="count">Number of faces.</param>
/// <param name="seed">Names the data set.</param>
/// <param name="keepInMemory">Keep every rendered image (fast re-reads; memory grows with count × resolutions).</param>
public sealed class SyntheticFaceSource(int count, ulong seed = 0, bool keepInMemory = false) : IImageSource
{
    private readonly ConcurrentDictionary<(int, int), RgbImage>? _memory = keepInMemory ? new() : null;

    public int Count { get; } = count > 0 ? count : throw new ArgumentOutOfRangeException(nameof(count), "A synthetic data set needs at least one face.");
    public ulong Seed { get; } = seed;
    public bool CanMirror => true;

    /// <summary>The ground-truth factors of face <paramref name="index"/>.</summary>
    public FaceFactors Factors(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"Face {index} is outside 0..{Count - 1}.");
        return FaceFactors.Sample(SeededRandom.Derive(Seed, (ulong)index));
    }

    public RgbImage Get(int index, int resolution)
    {
        if (_memory is null) return SyntheticFaceRenderer.Render(Factors(index), resolution);
        return _memory.GetOrAdd((index, resolution), k => SyntheticFaceRenderer.Render(Factors(k.Item1), k.Item2));
    }
}
