using System.Numerics;
using System.Text.Json.Nodes;
using Automodulator.Data.Imaging;
using Automodulator.Data.Synthetic;
using SkiaSharp;

namespace Automodulator.Hosting.Bench;

/// <summary>
/// Generates benchmark inputs in FFHQ's real layout: 1024×1024 JPEG "in-the-wild" photos (a synthetic face, turned,
/// scaled and placed on a textured background) with their 68 landmarks in ffhq-dataset-v2.json, and 1024×1024
/// aligned PNGs (images1024x1024/). Deterministic for a given count.
/// </summary>
public static class IngestBenchFixtures
{
    public static void Write(string root, int count, int size = 1024)
    {
        var json = new JsonObject();
        for (int i = 0; i < count; i++)
        {
            var r = new SeededRandom(SeededRandom.Derive(77, (ulong)i));
            var (face, lm) = SyntheticFaceRenderer.RenderWithLandmarks(FaceFactors.Sample(SeededRandom.Derive(78, (ulong)i)), size / 2);
            var m = Matrix3x2.CreateScale(r.Uniform(0.8, 1.3)) * Matrix3x2.CreateRotation(r.Uniform(-0.3, 0.3))
                    * Matrix3x2.CreateTranslation(r.Uniform(0.15, 0.35) * size, r.Uniform(0.1, 0.3) * size);
            var wildRel = $"in-the-wild-images/{i / 1000:D5}/{i:D5}.jpg";
            var alignedRel = $"images1024x1024/{i / 1000:D5}/{i:D5}.png";
            Save(Path.Combine(root, wildRel), Photo(face, m, size, i), SKEncodedImageFormat.Jpeg, 95);
            Save(Path.Combine(root, alignedRel), SyntheticFaceRenderer.Render(FaceFactors.Sample(SeededRandom.Derive(79, (ulong)i)), size), SKEncodedImageFormat.Png, 100);
            var points = lm.Transform(m).Points.Select(p => (JsonNode)new JsonArray(p.X - 0.5f, p.Y - 0.5f)).ToArray();
            json[i.ToString()] = new JsonObject
            {
                ["category"] = i % 7 == 6 ? "validation" : "training",
                ["image"] = new JsonObject { ["file_path"] = alignedRel },
                ["in_the_wild"] = new JsonObject { ["file_path"] = wildRel, ["face_landmarks"] = new JsonArray(points) },
            };
        }
        AtomicFile.WriteAllText(Path.Combine(root, "ffhq-dataset-v2.json"), json.ToJsonString());
    }

    private static RgbImage Photo(RgbImage face, Matrix3x2 m, int size, int seed)
    {
        using var bmp = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bmp))
        {
            // A busy background, so JPEG decode cost is realistic rather than that of flat colour.
            using var noise = SKShader.CreatePerlinNoiseFractalNoise(0.02f, 0.02f, 4, seed);
            using var paint = new SKPaint { Shader = noise };
            canvas.DrawRect(0, 0, size, size, paint);
            canvas.SetMatrix(new SKMatrix(m.M11, m.M21, m.M31, m.M12, m.M22, m.M32, 0, 0, 1));
            using var src = ImageGrid.ToBitmap(face);
            using var image = SKImage.FromBitmap(src);
            canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear), null);
        }
        var photo = new RgbImage(size, size);
        var px = bmp.GetPixelSpan();
        for (int p = 0, q = 0; q < photo.Pixels.Length; p += 4, q += 3) { photo.Pixels[q] = px[p]; photo.Pixels[q + 1] = px[p + 1]; photo.Pixels[q + 2] = px[p + 2]; }
        return photo;
    }

    private static void Save(string path, RgbImage img, SKEncodedImageFormat format, int quality)
    {
        using var bmp = ImageGrid.ToBitmap(img);
        using var data = bmp.Encode(format, quality);
        AtomicFile.Write(path, data.AsSpan());
    }
}
