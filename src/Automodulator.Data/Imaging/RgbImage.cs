namespace Automodulator.Data.Imaging;

/// <summary>
/// An 8-bit RGB image in row-major interleaved order (R, G, B per pixel, no padding): the one in-memory image type
/// the data pipeline passes between stages and writes into caches.
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[]? pixels = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}×{height} is empty.");
        Width = width;
        Height = height;
        Pixels = pixels ?? new byte[checked(width * height * 3)];
        if (Pixels.Length != width * height * 3)
            throw new ArgumentException($"A {width}×{height} RGB image needs {width * height * 3} bytes, got {Pixels.Length}.", nameof(pixels));
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public Span<byte> Row(int y) => Pixels.AsSpan(y * Width * 3, Width * 3);
}
