using System.Runtime.InteropServices;
using SkiaSharp;

namespace Automodulator.Data.Imaging;

/// <summary>
/// Decodes JPEG, PNG, WebP (and whatever else Skia reads: GIF, BMP, ICO, WBMP) into an upright 8-bit
/// <see cref="RgbImage"/>: the EXIF orientation is applied, grayscale, palette, CMYK and 16-bit sources come out as
/// RGB, and alpha is dropped (as PIL's <c>convert('RGB')</c> does, which the data sets' own scripts use).
/// Anything that is not a complete image raises <see cref="ImageDecodeException"/> with the reason.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Size and format of an encoded image, after EXIF orientation, without decoding its pixels.</summary>
    public readonly record struct ImageInfo(int Width, int Height, SKEncodedImageFormat Format, SKEncodedOrigin Origin);

    public static RgbImage Decode(string path, int scaleDown = 1) => Decode(ReadFile(path), Path.GetFileName(path), scaleDown);

    /// <summary>
    /// Decodes <paramref name="data"/>; with <paramref name="scaleDown"/> 2, 4 or 8 the image comes out that many times
    /// smaller (JPEG: the decoder's DCT scaling, much faster than a full decode; other formats: an area downscale).
    /// Sizes round up, as libjpeg's scaled decode does.
    /// </summary>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string source = "image", int scaleDown = 1)
    {
        if (scaleDown is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(scaleDown), scaleDown, "Scale-down must be 1, 2, 4 or 8.");
        using var codec = OpenCodec(data, source);
        var full = codec.Info;
        var size = full.Size;
        bool decoderScales = false;
        if (scaleDown > 1)
        {
            var scaled = codec.GetScaledDimensions(1f / scaleDown);
            int wantW = (full.Width + scaleDown - 1) / scaleDown, wantH = (full.Height + scaleDown - 1) / scaleDown;
            if (scaled.Width == wantW && scaled.Height == wantH) { size = scaled; decoderScales = true; }
        }
        var image = DecodePixels(codec, size.Width, size.Height, source);
        if (scaleDown > 1 && !decoderScales) image = Resampler.DownscaleByInteger(image, scaleDown);
        return ApplyOrigin(image, codec.EncodedOrigin);
    }

    /// <summary>Reads the header only: upright size, format and EXIF origin.</summary>
    public static ImageInfo ReadInfo(ReadOnlySpan<byte> data, string source = "image")
    {
        using var codec = OpenCodec(data, source);
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        bool swaps = SwapsAxes(codec.EncodedOrigin);
        return new ImageInfo(swaps ? h : w, swaps ? w : h, codec.EncodedFormat, codec.EncodedOrigin);
    }

    /// <summary>The bytes of a file, or an <see cref="ImageDecodeException"/> saying why they cannot be read.</summary>
    public static byte[] ReadFile(string path)
    {
        var name = Path.GetFileName(path);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(name, $"file not found ({path})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(name, $"cannot read the file: {e.Message}", e);
        }
    }

    private static SKCodec OpenCodec(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length == 0) throw new ImageDecodeException(source, "the file is empty (0 bytes)");
        // The codec takes ownership of the stream (and so of the copied bytes).
        var stream = new SKMemoryStream(SKData.CreateCopy(data));
        var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            stream.Dispose();
            throw new ImageDecodeException(source, result switch
            {
                SKCodecResult.Unimplemented => "not a recognised image format (JPEG, PNG, WebP, GIF or BMP expected)",
                SKCodecResult.IncompleteInput => "the header is truncated",
                _ => $"not a recognised image (JPEG, PNG, WebP, GIF or BMP expected; decoder said {result})",
            });
        }
        if (codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            codec.Dispose();
            throw new ImageDecodeException(source, $"the image has no pixels ({codec.Info.Width}×{codec.Info.Height})");
        }
        return codec;
    }

    private static RgbImage DecodePixels(SKCodec codec, int width, int height, string source)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = GC.AllocateUninitializedArray<byte>(checked(width * height * 4));
        SKCodecResult result;
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException(source, result switch
            {
                SKCodecResult.IncompleteInput => "the image data is truncated (the file ends before the last row)",
                SKCodecResult.ErrorInInput => "the image data is corrupt",
                SKCodecResult.InvalidConversion => "the pixel format cannot be converted to RGB",
                _ => $"decoding failed ({result})",
            });
        var image = new RgbImage(width, height);
        RgbaToRgb(rgba, image.Pixels);
        return image;
    }

    /// <summary>Drops the alpha byte of every pixel (4 bytes in, 3 out).</summary>
    internal static void RgbaToRgb(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        int n = rgb.Length / 3;
        ref byte s = ref MemoryMarshal.GetReference(rgba);
        ref byte d = ref MemoryMarshal.GetReference(rgb);
        int i = 0;
        // Write 4 bytes per pixel (the 4th is overwritten by the next pixel), so each pixel is one 32-bit move.
        for (; i < n - 1; i++)
            System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ref System.Runtime.CompilerServices.Unsafe.Add(ref d, i * 3),
                System.Runtime.CompilerServices.Unsafe.ReadUnaligned<uint>(ref System.Runtime.CompilerServices.Unsafe.Add(ref s, i * 4)));
        for (; i < n; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[i * 3 + 1] = rgba[i * 4 + 1];
            rgb[i * 3 + 2] = rgba[i * 4 + 2];
        }
    }

    private static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>
    /// Turns stored pixels upright according to the EXIF origin (which corner of the stored image is the top-left of
    /// the displayed one, and whether rows and columns swap).
    /// </summary>
    public static RgbImage ApplyOrigin(RgbImage stored, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft) return stored;
        int sw = stored.Width, sh = stored.Height;
        bool swap = SwapsAxes(origin);
        int w = swap ? sh : sw, h = swap ? sw : sh;
        var upright = new RgbImage(w, h);
        var src = stored.Pixels;
        var dst = upright.Pixels;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // (sx, sy): the stored pixel shown at display position (x, y).
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (sw - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (sw - 1 - x, sh - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, sh - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, sh - 1 - x),
                    SKEncodedOrigin.RightBottom => (sw - 1 - y, sh - 1 - x),
                    SKEncodedOrigin.LeftBottom => (sw - 1 - y, x),
                    _ => (x, y),
                };
                int si = (sy * sw + sx) * 3, di = (y * w + x) * 3;
                dst[di] = src[si];
                dst[di + 1] = src[si + 1];
                dst[di + 2] = src[si + 2];
            }
        }
        return upright;
    }
}
