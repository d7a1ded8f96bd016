using System.Numerics;
using System.Text.Json;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Tests.Faces;

/// <summary>
/// The astronaut portrait, the exact variants tests/tools/dlib_reference was run on (made here with the same
/// integer operations), dlib's reference output, and the landmark model (loaded once per test run).
/// </summary>
internal static class FaceFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures");

    private static readonly Lazy<RgbImage> AstronautLazy = new(() => ImageDecoder.Decode(Path.Combine(Dir, "astronaut.png")));
    public static RgbImage Astronaut => AstronautLazy.Value;

    private static readonly Lazy<ShapePredictor> PredictorLazy = new(() =>
    {
        Assert.True(DlibModelLocator.TryLocate(out var path),
            $"dlib's landmark model is missing: run scripts/setup.sh (installs libdlib-data). {DlibModelLocator.InstallHint}");
        return ShapePredictor.Load(path);
    });
    public static ShapePredictor Predictor => PredictorLazy.Value;

    public sealed record ReferenceShape(FaceBox Box, Vector2[] Landmarks);
    public sealed record ReferenceImage(string Name, int Width, int Height, ReferenceShape[] Hog, ReferenceShape[] Given);

    private static readonly Lazy<ReferenceImage[]> ReferenceLazy = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "faces", "dlib_reference.json")));
        static ReferenceShape Shape(JsonElement e)
        {
            var b = e.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var pts = e.GetProperty("landmarks").EnumerateArray().Select(p => new Vector2(p[0].GetSingle(), p[1].GetSingle())).ToArray();
            return new ReferenceShape(new FaceBox(b[0], b[1], b[2], b[3]), pts);
        }
        return doc.RootElement.GetProperty("images").EnumerateArray().Select(i => new ReferenceImage(
            i.GetProperty("image").GetString()!, i.GetProperty("width").GetInt32(), i.GetProperty("height").GetInt32(),
            i.GetProperty("hog").EnumerateArray().Select(Shape).ToArray(),
            i.GetProperty("given").EnumerateArray().Select(Shape).ToArray())).ToArray();
    });
    public static ReferenceImage[] Reference => ReferenceLazy.Value;

    public static ReferenceImage ReferenceFor(string name) => Reference.Single(r => r.Name == name);

    /// <summary>The variant of the portrait a reference entry was computed on (astronaut_flip.ppm → mirrored, …).</summary>
    public static RgbImage Variant(string name)
    {
        var a = Astronaut;
        return Path.GetFileNameWithoutExtension(name) switch
        {
            "astronaut" => a,
            "astronaut_flip" => Map(a, a.Width, a.Height, (x, y) => (a.Width - 1 - x, y)),
            "astronaut_crop" => Map(a, 260, 260, (x, y) => (x + 100, y + 20)),
            "astronaut_half" => Resampler.DownscaleByInteger(a, 2),
            "astronaut_rot90" => Map(a, a.Height, a.Width, (x, y) => (y, a.Height - 1 - x)),
            "astronaut_double" => Map(a, a.Width * 2, a.Height * 2, (x, y) => (x / 2, y / 2)),
            "astronaut_gray" => Gray(a),
            _ => throw new ArgumentException(name),
        };
    }

    /// <summary>Each output pixel copies the source pixel <paramref name="source"/> names.</summary>
    public static RgbImage Map(RgbImage src, int w, int h, Func<int, int, (int X, int Y)> source)
    {
        var r = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (sx, sy) = source(x, y);
                src.Pixels.AsSpan((sy * src.Width + sx) * 3, 3).CopyTo(r.Pixels.AsSpan((y * w + x) * 3, 3));
            }
        return r;
    }

    public static RgbImage Gray(RgbImage a)
    {
        var r = new RgbImage(a.Width, a.Height);
        for (int i = 0; i < a.Pixels.Length; i += 3)
            r.Pixels[i] = r.Pixels[i + 1] = r.Pixels[i + 2] = (byte)((a.Pixels[i] + a.Pixels[i + 1] + a.Pixels[i + 2]) / 3);
        return r;
    }

    public static RgbImage FaceFree(int w = 400, int h = 300) => Automodulator.Tests.Shared.TestImages.FaceFree(w, h);

    public static Vector2 Mean(ReadOnlySpan<Vector2> p)
    {
        var s = Vector2.Zero;
        foreach (var v in p) s += v;
        return s / p.Length;
    }
}
