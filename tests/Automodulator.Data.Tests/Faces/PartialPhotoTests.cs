using Automodulator.Data.Alignment;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Data.Tests.Faces;

public class PartialPhotoTests
{
    /// <summary>The portrait doubled onto a 1600×1200 canvas, off-centre, as a JPEG.</summary>
    private static byte[] BigJpeg()
    {
        var a = FaceFixtures.Astronaut;
        var big = FaceFixtures.Map(a, 1600, 1200, (x, y) =>
        {
            int sx = (x - 900) / 2, sy = (y - 150) / 2;
            return (Math.Clamp(sx, 0, a.Width - 1), Math.Clamp(sy, 0, a.Height - 1)); // edges smeared outward
        });
        using var bmp = ImageGrid.ToBitmap(big);
        using var data = bmp.Encode(SKEncodedImageFormat.Jpeg, 92);
        return data.ToArray();
    }

    [Fact]
    public void Partial_decode_gives_the_landmarks_and_crop_of_the_whole_decode()
    {
        var jpeg = BigJpeg();
        var pipeline = new PhotoAligner(FaceDetector.Load(), FaceFixtures.Predictor, new FfhqAligner(new FfhqAlignOptions { OutputSize = 256 }));
        var whole = pipeline.Align(ImageDecoder.Decode(jpeg, "big.jpg"));
        var photo = PartialPhoto.Open(jpeg, "big.jpg");
        var partial = pipeline.Align(photo);
        Assert.True(whole.Succeeded && partial.Succeeded, whole.RejectReason ?? partial.RejectReason);
        Assert.True(photo.Decoded.Width * photo.Decoded.Height < 0.6 * 1600 * 1200, $"decoded {photo.Decoded}: more than the face needs");
        var w = Assert.Single(whole.Faces);
        var p = Assert.Single(partial.Faces);
        // The reduced decode can move the detector box a little; landmarks then follow the box.
        Assert.True(p.Detection.Box.IoU(w.Detection.Box) > 0.9, $"boxes {p.Detection.Box} vs {w.Detection.Box}");
        // Same box → bit-identical landmarks and crop, although only part of the photo was decoded.
        var again = pipeline.Landmarks.Predict(ImageDecoder.Decode(jpeg, "big.jpg"), p.Detection.Box);
        Assert.Equal(again, p.Landmarks);
        var crop = pipeline.Aligner.AlignLandmarks68(ImageDecoder.Decode(jpeg, "big.jpg"), again);
        Assert.Equal(crop.Image.Pixels, p.Aligned.Image.Pixels);
    }

    [Fact]
    public void Region_decode_equals_the_same_pixels_of_a_full_decode()
    {
        var jpeg = BigJpeg();
        var full = ImageDecoder.Decode(jpeg, "big.jpg");
        var photo = PartialPhoto.Open(jpeg, "big.jpg");
        var r = new PixelRect(333, 217, 1291, 1003);
        photo.EnsureDecoded(r);
        Assert.True(photo.Decoded.Contains(r));
        for (int y = r.Y0; y < r.Y1; y += 7)
            Assert.True(full.Pixels.AsSpan((y * 1600 + r.X0) * 3, r.Width * 3).SequenceEqual(photo.Canvas.Pixels.AsSpan((y * 1600 + r.X0) * 3, r.Width * 3)), $"row {y} differs");
    }

    [Fact]
    public void Corrupt_jpeg_with_an_intact_end_marker_fails_cleanly_or_decodes_without_crashing()
    {
        var jpeg = BigJpeg();
        var rng = new Random(5);
        for (int round = 0; round < 8; round++)
        {
            var bad = (byte[])jpeg.Clone();
            // Scribble over the entropy-coded middle, keep the headers and the EOI marker.
            for (int i = 0; i < 400; i++) bad[rng.Next(bad.Length / 3, bad.Length - 8)] = (byte)rng.Next(256);
            var photo = PartialPhoto.Open(bad, "scribbled.jpg");
            try { photo.EnsureDecoded(new PixelRect(100, 700, 900, 1100)); }
            catch (ImageDecodeException) { }
        }
    }

    [Fact]
    public void Truncated_jpeg_is_an_image_decode_error()
    {
        var jpeg = BigJpeg();
        var photo = PartialPhoto.Open(jpeg[..(jpeg.Length / 2)], "cut.jpg");
        Assert.Throws<ImageDecodeException>(() => photo.EnsureDecoded(new PixelRect(0, 900, 1600, 1200)));
    }
}
