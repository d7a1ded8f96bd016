using Automodulator.Abstractions.Data;
using Automodulator.Data.Batches;

namespace Automodulator.Cli.Training;

/// <summary>The data side's <see cref="IImageSource"/> (synthetic faces, later the cache reader) as the trainer's <see cref="IImageSet"/>.</summary>
public sealed class ImageSourceSet(IImageSource source, int maxResolution) : IImageSet
{
    public int Count => source.Count;
    public int MaxResolution { get; } = maxResolution;
    public bool IsMirrorable => source.CanMirror;

    public void Read(int index, int resolution, Span<byte> rgbHwc)
    {
        var image = source.Get(index, resolution);
        if (image.Width != resolution || image.Height != resolution)
            throw new InvalidDataException($"Image {index} came back {image.Width}×{image.Height}, not {resolution}×{resolution}.");
        image.Pixels.CopyTo(rgbHwc);
    }

    /// <summary>Procedural synthetic faces: <paramref name="count"/> of them, rendered on demand and kept in memory.</summary>
    public static ImageSourceSet Synthetic(int count, int maxResolution, ulong seed) =>
        new(new SyntheticFaceSource(count, seed, keepInMemory: true), maxResolution);
}
