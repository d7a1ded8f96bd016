using Automodulator.Abstractions.Data;
using Automodulator.Data.Batches;
using Automodulator.Data.Cache;

namespace Automodulator.Hosting.Training;

/// <summary>The data side's <see cref="IImageSource"/> (synthetic faces, later the cache reader) as the trainer's <see cref="IImageSet"/>.</summary>
public sealed class ImageSourceSet(IImageSource source, int maxResolution) : IImageSet
{
    public int Count => source.Count;
    public int MaxResolution { get; } = maxResolution;
    public bool IsMirrorable => source.CanMirror;

    public void Read(int index, int resolution, Span<byte> rgbHwc)
    {
        if (source is CacheReader cache)
        {
            // Straight from the memory-mapped shard into the batch buffer: no intermediate image.
            cache.Read(cache.CacheIndex(index), resolution, rgbHwc);
            return;
        }
        var image = source.Get(index, resolution);
        if (image.Width != resolution || image.Height != resolution)
            throw new InvalidDataException($"Image {index} came back {image.Width}×{image.Height}, not {resolution}×{resolution}.");
        image.Pixels.CopyTo(rgbHwc);
    }

    /// <summary>
    /// A cache made by `automod ingest`: its "train" split when it has splits, else every item. The cache must hold
    /// every resolution from 4×4 to the model's.
    /// </summary>
    /// <param name="why">Why the model trains at that resolution, for the error message (e.g. an appended level).</param>
    public static ImageSourceSet Cache(string directory, int maxResolution, string? why = null)
    {
        var manifest = CacheManifest.Load(directory);
        var needed = Enumerable.Range(0, (int)Math.Log2(maxResolution) - 1).Select(l => 4 << l).ToArray();
        var missing = needed.Except(manifest.Resolutions).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"The cache {directory} lacks resolution(s) {string.Join(", ", missing)} that a {maxResolution}×{maxResolution} model trains on" +
                                        (why is null ? "" : $" ({why})") + $"; re-ingest with --resolution {maxResolution}.");
        if (!manifest.Complete)
            throw new ArgumentException($"The cache {directory} is incomplete (an ingest was interrupted); rerun the same `automod ingest` to finish it.");
        var split = manifest.Splits.ContainsKey("train") ? "train" : null;
        return new ImageSourceSet(CacheReader.Open(directory, split), maxResolution);
    }

    /// <summary>Procedural synthetic faces: <paramref name="count"/> of them, rendered on demand and kept in memory.</summary>
    public static ImageSourceSet Synthetic(int count, int maxResolution, ulong seed) =>
        new(new SyntheticFaceSource(count, seed, keepInMemory: true), maxResolution);
}
