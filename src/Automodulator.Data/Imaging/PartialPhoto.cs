using System.Runtime.InteropServices;
using SkiaSharp;

namespace Automodulator.Data.Imaging;

/// <summary>A pixel rectangle [X0, X1) × [Y0, Y1).</summary>
public readonly record struct PixelRect(int X0, int Y0, int X1, int Y1)
{
    public int Width => X1 - X0;
    public int Height => Y1 - Y0;
    public bool IsEmpty => X1 <= X0 || Y1 <= Y0;

    public bool Contains(PixelRect r) => r.IsEmpty || (r.X0 >= X0 && r.Y0 >= Y0 && r.X1 <= X1 && r.Y1 <= Y1);

    public PixelRect Union(PixelRect r) =>
        IsEmpty ? r : r.IsEmpty ? this : new(Math.Min(X0, r.X0), Math.Min(Y0, r.Y0), Math.Max(X1, r.X1), Math.Max(Y1, r.Y1));

    public PixelRect ClippedTo(int width, int height) =>
        new(Math.Clamp(X0, 0, width), Math.Clamp(Y0, 0, height), Math.Clamp(X1, 0, width), Math.Clamp(Y1, 0, height));
}

/// <summary>
/// A photo decoded only as far as needed: a reduced copy (JPEG: libjpeg's DCT scaling, far cheaper than a full
/// decode) for detection, and full-resolution pixels only in the rectangle the landmarks and the crop read
/// (JPEG scanline decoding: rows below it are never decoded, rows above are only entropy-decoded, columns outside
/// are not transformed). <see cref="Canvas"/> has the photo's full size but holds valid pixels only inside
/// <see cref="Decoded"/>; whoever reads it must stay inside (<see cref="EnsureDecoded"/>). Formats other than JPEG,
/// and JPEGs with an EXIF rotation, are decoded whole on the first request.
/// </summary>
public sealed class PartialPhoto
{
    private readonly byte[] _data;
    private readonly string _source;
    private readonly bool _regions;
    private RgbImage? _canvas;

    private PartialPhoto(byte[] data, string source, ImageDecoder.ImageInfo info)
    {
        _data = data;
        _source = source;
        Width = info.Width;
        Height = info.Height;
        // Region (scanline) decoding only for complete JPEGs: on a file cut short, Skia's scanline path fills the
        // missing rows itself and was seen to crash the process; the whole-image path reports truncation cleanly.
        _regions = info.Format == SKEncodedImageFormat.Jpeg && info.Origin == SKEncodedOrigin.TopLeft && EndsWithEoi(_data);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The rectangle of <see cref="Canvas"/> that holds decoded pixels (empty before any request).</summary>
    public PixelRect Decoded { get; private set; }

    /// <summary>Full-size image, valid inside <see cref="Decoded"/> only.</summary>
    public RgbImage Canvas => _canvas ?? throw new InvalidOperationException("Nothing is decoded yet; call EnsureDecoded first.");

    /// <summary>Reads the header; a file that is not an image fails here with <see cref="ImageDecodeException"/>.</summary>
    public static PartialPhoto Open(byte[] data, string source = "image") => new(data, source, ImageDecoder.ReadInfo(data, source));

    /// <summary>
    /// The photo reduced to ⌈size / <paramref name="factor"/>⌉: decoded at the largest DCT scale (1/2, 1/4, 1/8) not
    /// beyond the factor, then area-averaged the rest of the way.
    /// </summary>
    public RgbImage Reduced(int factor)
    {
        if (!_regions || factor <= 1)
        {
            EnsureDecoded(new PixelRect(0, 0, Width, Height));
            return Resampler.DownscaleByInteger(Canvas, Math.Max(factor, 1));
        }
        int dct = factor >= 8 ? 8 : factor >= 4 ? 4 : 2;
        var image = ImageDecoder.Decode(_data, _source, dct);
        int w = (Width + factor - 1) / factor, h = (Height + factor - 1) / factor;
        if (image.Width == w && image.Height == h) return image;
        return Resampler.Resize(image, w, h, Resampler.Filter.Box);
    }

    /// <summary>Makes <paramref name="rect"/> (clipped to the photo) valid in <see cref="Canvas"/>.</summary>
    public void EnsureDecoded(PixelRect rect)
    {
        rect = rect.ClippedTo(Width, Height);
        if (Decoded.Contains(rect)) return;
        var want = Decoded.Union(rect);
        if (!_regions || !TryDecodeRegion(want))
        {
            _canvas = ImageDecoder.Decode(_data, _source);
            Decoded = new PixelRect(0, 0, Width, Height);
        }
    }

    /// <summary>True when the JPEG ends with its end-of-image marker (FF D9), allowing for trailing padding.</summary>
    private static bool EndsWithEoi(byte[] data)
    {
        for (int i = data.Length - 1; i >= Math.Max(1, data.Length - 64); i--)
            if (data[i] == 0xD9 && data[i - 1] == 0xFF) return true;
        return false;
    }

    private bool TryDecodeRegion(PixelRect r)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(SKData.CreateCopy(_data)));
        if (codec is null) return false;
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        // Skia subsets scanline decodes in x only; rows above are skipped, rows below never read.
        var options = new SKCodecOptions(new SKRectI(r.X0, 0, r.X1, Height));
        if (codec.StartScanlineDecode(info, options) != SKCodecResult.Success) return false;
        if (r.Y0 > 0 && !codec.SkipScanlines(r.Y0))
            throw new ImageDecodeException(_source, "the image data is truncated or corrupt (skipping rows failed)");
        _canvas ??= new RgbImage(Width, Height, GC.AllocateUninitializedArray<byte>(checked(Width * Height * 3)));
        // Rows are decoded r.Width wide, but on truncated input Skia fills the missing rows at the full image width:
        // the buffer must hold full-width rows or that fill writes past it (seen as an intermittent native crash).
        int rowBytes = Width * 4;
        const int Chunk = 64;
        var rgba = GC.AllocateUninitializedArray<byte>(rowBytes * Math.Min(Chunk, r.Height), pinned: true);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            for (int y = r.Y0; y < r.Y1; y += Chunk)
            {
                int n = Math.Min(Chunk, r.Y1 - y);
                int got = codec.GetScanlines(handle.AddrOfPinnedObject(), n, rowBytes);
                if (got != n)
                    throw new ImageDecodeException(_source, "the image data is truncated (the file ends before the last row)");
                for (int i = 0; i < n; i++)
                    ImageDecoder.RgbaToRgb(rgba.AsSpan(i * rowBytes, r.Width * 4), _canvas.Pixels.AsSpan(((y + i) * Width + r.X0) * 3, r.Width * 3));
            }
        }
        finally
        {
            handle.Free();
        }
        Decoded = r;
        return true;
    }
}
