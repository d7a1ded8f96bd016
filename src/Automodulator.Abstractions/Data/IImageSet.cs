namespace Automodulator.Abstractions.Data;

/// <summary>
/// The minimal contract the trainer's batch producer reads from: a fixed, indexable set of square RGB images that
/// can be read at any power-of-two resolution up to <see cref="MaxResolution"/>. A multi-resolution cache, a folder
/// reader or the procedural synthetic faces adapt to it; the trainer never sees anything else of the data side.
/// Implementations must be safe to call from one background thread (the producer's) while the trainer runs.
/// </summary>
public interface IImageSet
{
    /// <summary>Number of images; indices are 0..Count-1.</summary>
    int Count { get; }

    /// <summary>Largest resolution <see cref="Read"/> accepts (a power of two).</summary>
    int MaxResolution { get; }

    /// <summary>
    /// True when a horizontally mirrored image is as plausible as the original (faces, bedrooms), so mirror
    /// augmentation and on-the-fly flip pairs for L_inv are allowed.
    /// </summary>
    bool IsMirrorable { get; }

    /// <summary>
    /// Writes image <paramref name="index"/> at <paramref name="resolution"/>×<paramref name="resolution"/> as 8-bit RGB,
    /// interleaved, row-major (HWC) into <paramref name="rgbHwc"/> (length resolution·resolution·3).
    /// </summary>
    void Read(int index, int resolution, Span<byte> rgbHwc);
}
