using System.Numerics;
using System.Text.Json.Nodes;
using Automodulator.Data.Imaging;
using Automodulator.Data.Synthetic;
using SkiaSharp;

namespace Automodulator.Hosting.Tests;

/// <summary>Generated inputs in the real formats, tiny so the tests stay fast.</summary>
internal static class Fixtures
{
    public static byte[] Encode(RgbImage img, SKEncodedImageFormat format, int quality = 90)
    {
        using var bmp = ImageGrid.ToBitmap(img);
        using var data = bmp.Encode(format, quality);
        return data.ToArray();
    }

    public static RgbImage Face(int i, int width, int height)
    {
        var face = SyntheticFaceRenderer.Render(FaceFactors.Sample((ulong)(i + 100)), Math.Max(width, height));
        return Data.Ingest.Sources.SquareCrop.Crop(face, 0, 0, width, height);
    }

    /// <summary>The reasons the bad files of <see cref="BadInputFolder"/> must be rejected with, by file name.</summary>
    public static readonly IReadOnlyDictionary<string, string> ExpectedRejects = new Dictionary<string, string>
    {
        ["bad/empty.jpg"] = "empty",
        ["bad/not-an-image.png"] = "",
        ["bad/truncated.png"] = "",
        ["bad/corrupt.jpg"] = "",
        ["bad/tiny.png"] = "smaller than",
        ["bad/truncated.jpg"] = "",
        ["bad/truncated.webp"] = "",
    };

    /// <summary>
    /// Good images in every common encoding (JPEG, PNG, WebP, grayscale, palette, 16-bit, alpha; non-square) and
    /// every bad case: empty, not an image, truncated, corrupt, too small. Returns the good files.
    /// </summary>
    public static string[] BadInputFolder(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "good"));
        Directory.CreateDirectory(Path.Combine(dir, "bad"));
        File.WriteAllBytes(Path.Combine(dir, "good/a.jpg"), Encode(Face(0, 40, 32), SKEncodedImageFormat.Jpeg));
        File.WriteAllBytes(Path.Combine(dir, "good/b.png"), Encode(Face(1, 32, 48), SKEncodedImageFormat.Png));
        File.WriteAllBytes(Path.Combine(dir, "good/c.webp"), Encode(Face(2, 36, 36), SKEncodedImageFormat.Webp));
        int w = 24, h = 20;
        var gray = new byte[w * h];
        for (int i = 0; i < gray.Length; i++) gray[i] = (byte)(i * 7);
        File.WriteAllBytes(Path.Combine(dir, "good/gray.png"), TestPng.Encode(w, h, 0, 8, gray));
        var palette = new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 200, 50 };
        var idx = new byte[w * h];
        for (int i = 0; i < idx.Length; i++) idx[i] = (byte)(i % 4);
        File.WriteAllBytes(Path.Combine(dir, "good/palette.png"), TestPng.Encode(w, h, 3, 8, idx, palette));
        var deep = new byte[w * h * 6];
        for (int i = 0; i < deep.Length; i++) deep[i] = (byte)(i * 13);
        File.WriteAllBytes(Path.Combine(dir, "good/rgb16.png"), TestPng.Encode(w, h, 2, 16, deep));
        var rgba = new byte[w * h * 4];
        for (int i = 0; i < rgba.Length; i++) rgba[i] = (byte)(i % 4 == 3 ? 128 : i * 5);
        File.WriteAllBytes(Path.Combine(dir, "good/alpha.png"), TestPng.Encode(w, h, 6, 8, rgba));

        File.WriteAllBytes(Path.Combine(dir, "bad/empty.jpg"), []);
        File.WriteAllText(Path.Combine(dir, "bad/not-an-image.png"), "this is a text file with an image name");
        var png = Encode(Face(3, 32, 32), SKEncodedImageFormat.Png);
        File.WriteAllBytes(Path.Combine(dir, "bad/truncated.png"), png[..(png.Length / 3)]);
        var jpg = Encode(Face(4, 32, 32), SKEncodedImageFormat.Jpeg);
        var corrupt = jpg[..40].Concat(Enumerable.Repeat((byte)0x5A, jpg.Length - 40)).ToArray();
        File.WriteAllBytes(Path.Combine(dir, "bad/corrupt.jpg"), corrupt);
        File.WriteAllBytes(Path.Combine(dir, "bad/truncated.jpg"), jpg[..(jpg.Length / 2)]);
        var webp = Encode(Face(6, 32, 32), SKEncodedImageFormat.Webp);
        File.WriteAllBytes(Path.Combine(dir, "bad/truncated.webp"), webp[..(webp.Length / 2)]);
        File.WriteAllBytes(Path.Combine(dir, "bad/tiny.png"), Encode(Face(5, 8, 8), SKEncodedImageFormat.Png));
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an image extension: ignored by the folder source");
        return ["good/a.jpg", "good/alpha.png", "good/b.png", "good/c.webp", "good/gray.png", "good/palette.png", "good/rgb16.png"];
    }

    /// <summary>
    /// A synthetic face photographed "in the wild": rendered at <paramref name="faceSize"/>, rotated, scaled and
    /// placed on a larger canvas; returns the photo and its 68 landmarks in pixel-centre coordinates.
    /// </summary>
    public static (RgbImage Photo, Vector2[] Landmarks) WildFace(int seed, int faceSize, int width, int height, float angleDeg, float scale, Vector2 offset)
    {
        var (face, lm) = SyntheticFaceRenderer.RenderWithLandmarks(FaceFactors.Sample((ulong)seed), faceSize);
        var m = Matrix3x2.CreateScale(scale) * Matrix3x2.CreateRotation(angleDeg * MathF.PI / 180) * Matrix3x2.CreateTranslation(offset);
        using var src = ImageGrid.ToBitmap(face);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(new SKColor(90, 110, 70));
            canvas.SetMatrix(new SKMatrix(m.M11, m.M21, m.M31, m.M12, m.M22, m.M32, 0, 0, 1));
            using var paint = new SKPaint { IsAntialias = true };
            using var image = SKImage.FromBitmap(src);
            canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear), paint);
        }
        var photo = new RgbImage(width, height);
        var px = bmp.GetPixelSpan();
        for (int p = 0, q = 0; q < photo.Pixels.Length; p += 4, q += 3) { photo.Pixels[q] = px[p]; photo.Pixels[q + 1] = px[p + 1]; photo.Pixels[q + 2] = px[p + 2]; }
        // Skia's continuous coordinates → dlib's pixel-centre coordinates.
        var points = lm.Transform(m).Points.Select(p => p - new Vector2(0.5f, 0.5f)).ToArray();
        return (photo, points);
    }

    /// <summary>An ffhq-dataset-v2.json entry.</summary>
    public static JsonObject FfhqEntry(string category, string? wildPath, IEnumerable<Vector2>? landmarks) => new()
    {
        ["category"] = category,
        ["image"] = new JsonObject { ["file_path"] = "images1024x1024/00000/00000.png" },
        ["in_the_wild"] = new JsonObject
        {
            ["file_path"] = wildPath,
            ["face_landmarks"] = landmarks is null ? null : new JsonArray(landmarks.Select(p => (JsonNode)new JsonArray(p.X, p.Y)).ToArray()),
        },
    };
}
