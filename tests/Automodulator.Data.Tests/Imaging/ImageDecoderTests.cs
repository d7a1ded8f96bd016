using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Data.Tests.Imaging;

public class ImageDecoderTests
{
    private static byte[] Encode(SKBitmap bmp, SKEncodedImageFormat format, int quality = 95)
    {
        using var data = bmp.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>A 6×4 image whose top-left pixel is red and the rest blue.</summary>
    private static SKBitmap Marker()
    {
        var bmp = new SKBitmap(new SKImageInfo(6, 4, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 6; x++)
                bmp.SetPixel(x, y, x < 2 && y < 2 ? SKColors.Red : SKColors.Blue);
        return bmp;
    }

    [Fact]
    public void Png_decodes_to_the_same_rgb_pixels()
    {
        var img = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "astronaut.png")));
        Assert.Equal((512, 512), (img.Width, img.Height));
        using var bmp = ImageGrid.ToBitmap(img);
        var again = ImageDecoder.Decode(Encode(bmp, SKEncodedImageFormat.Png));
        Assert.Equal(img.Pixels, again.Pixels);
    }

    [Fact]
    public void Zero_byte_file_is_rejected_with_reason()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(ReadOnlySpan<byte>.Empty, "empty.jpg"));
        Assert.Equal("empty.jpg", e.Source);
        Assert.Contains("empty", e.Reason);
    }

    [Fact]
    public void Non_image_bytes_are_rejected_with_reason()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("this is a text file, not a photo"u8, "notes.jpg"));
        Assert.Contains("not a recognised image", e.Reason);
    }

    [Fact]
    public void Truncated_jpeg_is_rejected_with_reason()
    {
        using var bmp = ImageGrid.ToBitmap(ImageDecoder.Decode(Path.Combine(AppContext.BaseDirectory, "fixtures", "astronaut.png")));
        var jpeg = Encode(bmp, SKEncodedImageFormat.Jpeg);
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(jpeg.AsSpan(0, jpeg.Length / 2), "cut.jpg"));
        Assert.Contains("truncated", e.Reason);
    }

    [Fact]
    public void Missing_file_is_a_decode_error_naming_the_path()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("/nonexistent/photo.jpg"));
        Assert.Contains("not found", e.Reason);
    }

    [Fact]
    public void Grayscale_png_comes_out_as_rgb()
    {
        using var gray = new SKBitmap(new SKImageInfo(5, 3, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int x = 0; x < 5; x++) for (int y = 0; y < 3; y++) gray.SetPixel(x, y, new SKColor((byte)(x * 50), (byte)(x * 50), (byte)(x * 50)));
        var img = ImageDecoder.Decode(Encode(gray, SKEncodedImageFormat.Png));
        Assert.Equal((5, 3), (img.Width, img.Height));
        int o = (1 * 5 + 4) * 3;
        Assert.Equal(new byte[] { 200, 200, 200 }, img.Pixels.AsSpan(o, 3).ToArray());
    }

    [Fact]
    public void Alpha_is_dropped_keeping_the_colour()
    {
        using var rgba = new SKBitmap(new SKImageInfo(2, 2, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        rgba.SetPixel(0, 0, new SKColor(200, 100, 50, 128));
        var img = ImageDecoder.Decode(Encode(rgba, SKEncodedImageFormat.Png));
        Assert.Equal(new byte[] { 200, 100, 50 }, img.Pixels.AsSpan(0, 3).ToArray());
    }

    [Fact]
    public void Webp_decodes()
    {
        using var bmp = Marker();
        var img = ImageDecoder.Decode(Encode(bmp, SKEncodedImageFormat.Webp, 100));
        Assert.Equal((6, 4), (img.Width, img.Height));
        Assert.True(img.Pixels[0] > 150 && img.Pixels[2] < 100, "top-left stays red");
    }

    [Fact]
    public void Exif_orientation_is_applied()
    {
        using var bmp = Marker();
        var jpeg = WithExifOrientation(Encode(bmp, SKEncodedImageFormat.Jpeg, 100), 6); // 6: rotate 90° clockwise to display
        var info = ImageDecoder.ReadInfo(jpeg);
        Assert.Equal(SKEncodedOrigin.RightTop, info.Origin);
        var img = ImageDecoder.Decode(jpeg);
        Assert.Equal((4, 6), (img.Width, img.Height));
        // The stored top-left (red) corner is shown at the top-right.
        int topRight = (0 * 4 + 3) * 3, topLeft = 0;
        Assert.True(img.Pixels[topRight] > 150 && img.Pixels[topRight + 2] < 100, "red moved to the top-right");
        Assert.True(img.Pixels[topLeft + 2] > 150, "top-left is blue");
    }

    [Fact]
    public void Scaled_decode_halves_the_size()
    {
        using var bmp = ImageGrid.ToBitmap(ImageDecoder.Decode(Path.Combine(AppContext.BaseDirectory, "fixtures", "astronaut.png")));
        var jpeg = Encode(bmp, SKEncodedImageFormat.Jpeg);
        var half = ImageDecoder.Decode(jpeg, "a.jpg", scaleDown: 2);
        Assert.Equal((256, 256), (half.Width, half.Height));
        var png = Encode(bmp, SKEncodedImageFormat.Png);
        var quarter = ImageDecoder.Decode(png, "a.png", scaleDown: 4);
        Assert.Equal((128, 128), (quarter.Width, quarter.Height));
    }

    /// <summary>Inserts an APP1 Exif segment holding only an orientation tag right after the JPEG's SOI marker.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        var tiff = new List<byte> { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0 }; // little-endian, IFD at 8, 1 entry
        tiff.AddRange([0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, (byte)(orientation >> 8), 0, 0]); // 0x0112 SHORT ×1
        tiff.AddRange([0, 0, 0, 0]); // no next IFD
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        int len = payload.Length + 2;
        var segment = new byte[] { 0xFF, 0xE1, (byte)(len >> 8), (byte)len }.Concat(payload);
        return jpeg.Take(2).Concat(segment).Concat(jpeg.Skip(2)).ToArray();
    }
}
