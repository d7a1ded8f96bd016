using Automodulator.Data.Imaging;

namespace Automodulator.Data.Batches;

/// <summary>
/// Images a trainer can draw from by index and resolution: a memory-mapped cache (<c>CacheReader</c>) or faces
/// rendered on demand (<see cref="SyntheticFaceSource"/>). Implementations are safe to call from several threads.
/// </summary>
public interface IImageSource
{
    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>
    /// Image <paramref name="index"/> at <paramref name="resolution"/>×<paramref name="resolution"/> (a power of two).
    /// The image may be shared with other callers: read it, do not modify it.
    /// </summary>
    RgbImage Get(int index, int resolution);

    /// <summary>
    /// Whether a left-right mirror of an image is as valid a sample as the image (faces: yes; LSUN: no, as in the
    /// paper). Mirror augmentation and flip pairs for L_inv need it.
    /// </summary>
    bool CanMirror { get; }
}
