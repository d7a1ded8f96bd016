using System.Numerics;
using System.Text.Json;
using Automodulator.Data.Cache;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;
using Automodulator.Data.Ingest.Sources;
using Automodulator.Hosting.Ingest;
using SkiaSharp;

namespace Automodulator.Hosting.Tests.Sources;

/// <summary>
/// `automod ingest folder --detect`: face detector + dlib 68 landmarks + FFHQ's recipe in the align stage. Needs
/// Debian's libdlib-data and opencv-data (scripts/setup.sh installs them).
/// </summary>
public sealed class DetectIngestTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "amod-det-" + Guid.NewGuid().ToString("N"));

    public DetectIngestTests() => Directory.CreateDirectory(Path.Combine(_root, "photos"));

    public void Dispose() => Directory.Delete(_root, true);

    private string P(string name) => Path.Combine(_root, name);

    private static void Save(string path, RgbImage image, SKEncodedImageFormat format) =>
        File.WriteAllBytes(path, Hosting.Tests.Fixtures.Encode(image, format, 95));


    private static Vector2 Mean(IReadOnlyList<Vector2> p, int from, int to)
    {
        var s = Vector2.Zero;
        for (int i = from; i < to; i++) s += p[i];
        return s / (to - from);
    }

    /// <summary>dlib's own 68 landmarks for the portrait (tests/fixtures/faces/dlib_reference.json, HOG box).</summary>
    private static Vector2[] DlibReferenceLandmarks()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "faces", "dlib_reference.json")));
        var image = doc.RootElement.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("image").GetString() == "astronaut.ppm");
        return image.GetProperty("hog")[0].GetProperty("landmarks").EnumerateArray().Select(p => new Vector2(p[0].GetSingle(), p[1].GetSingle())).ToArray();
    }

    /// <summary>
    /// Where FFHQ's recipe (NVlabs/ffhq-dataset recreate_aligned_images) puts a photo point in a size×size output,
    /// written out from the recipe: x = e2e − rot90(e2m) scaled to max(2|e2e|, 1.8|e2m|), y = rot90(x),
    /// c = eye_avg + 0.1·e2m; the quad c − x − y … maps onto the output square.
    /// </summary>
    private static Vector2 RecipeOutput(Vector2[] lm, Vector2 point, int size)
    {
        var eyeL = Mean(lm, 36, 42); var eyeR = Mean(lm, 42, 48);
        var eyeAvg = (eyeL + eyeR) / 2; var e2e = eyeR - eyeL; var e2m = (lm[48] + lm[54]) / 2 - eyeAvg;
        var x = e2e - new Vector2(-e2m.Y, e2m.X);
        x = Vector2.Normalize(x) * MathF.Max(e2e.Length() * 2, e2m.Length() * 1.8f);
        var y = new Vector2(-x.Y, x.X);
        var corner = eyeAvg + e2m * 0.1f - x - y;
        var d = point - corner;
        // Landmarks are pixel centres (integers); the recipe's output pixel k covers [k, k+1).
        return new Vector2(Vector2.Dot(d, x) / (2 * x.LengthSquared()), Vector2.Dot(d, y) / (2 * y.LengthSquared())) * size - new Vector2(0.5f);
    }

    [Fact]
    public async Task Folder_with_detect_keeps_the_aligned_portrait_and_rejects_face_free_and_tiny_face_photos_with_reasons()
    {
        var astronaut = ImageDecoder.Decode(Path.Combine(Fixtures, "astronaut.png"));
        File.Copy(Path.Combine(Fixtures, "astronaut.png"), P("photos/a_portrait.png"));
        Save(P("photos/b_landscape.jpg"), Automodulator.Tests.Shared.TestImages.FaceFree(400, 300), SKEncodedImageFormat.Jpeg);
        // The portrait at half size: its face box (~44 px) is found but is below --min-face 64.
        Save(P("photos/c_tiny_face.png"), Resampler.DownscaleByInteger(astronaut, 2), SKEncodedImageFormat.Png);

        const int alignSize = 256, resolution = 64;
        using var source = IngestSourceFactory.Create("folder", new SourceSettings
        {
            Input = P("photos"), Detect = true, AlignSize = alignSize, MinFace = 64, LandmarkModel = DlibModelLocator.Locate(),
        });
        Assert.IsType<FaceDetectingSource>(source);
        var summary = await new IngestPipeline(source, new IngestOptions { Output = P("cache"), Resolution = resolution, Workers = 2, ShardSize = 2, ChannelCapacity = 2 })
            .RunAsync();

        Assert.Equal((1L, 2L), (summary.Kept, summary.Rejected));
        var m = CacheManifest.Load(P("cache"));
        Assert.Equal("true", m.Source.Options["detect"]);
        Assert.Equal(DlibModelLocator.FileName, m.Source.Options["landmarkModel"]);
        Assert.Equal("64", m.Source.Options["minFace"]);
        Assert.Contains("face detection", m.Source.Recipe);
        Assert.Contains("recreate_aligned_images", m.Source.Recipe);
        Assert.True(m.CanMirror);

        using var reader = CacheReader.Open(P("cache"));
        var rejects = reader.Rejects().ToDictionary(r => r.Id, r => r.Reason);
        Assert.Equal("no face found", rejects["b_landscape.jpg"]);
        Assert.Contains("face too small", rejects["c_tiny_face.png"]);
        Assert.Contains("64", rejects["c_tiny_face.png"]);

        var item = Assert.Single(reader.Items());
        Assert.Equal("a_portrait.png", item.Id);
        var detection = item.Detection!.AsObject();
        Assert.Equal(68, (int)detection["landmarks"]!);
        Assert.Equal(alignSize, (int)detection["alignSize"]!);
        var box = detection["box"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.InRange(box[2], 64, 200); // the face's box in photo pixels (dlib's is 96 px wide)

        // The eyes are where FFHQ's recipe puts them given dlib's own landmarks, within 1.5 px at the cache resolution.
        var lm = DlibReferenceLandmarks();
        float scale = (float)resolution / alignSize;
        var eyes = detection["eyes"]!.AsArray().Select(e => new Vector2((float)e![0]!, (float)e[1]!) * scale).ToArray();
        var expected = new[] { RecipeOutput(lm, Mean(lm, 36, 42), resolution), RecipeOutput(lm, Mean(lm, 42, 48), resolution) };
        for (int i = 0; i < 2; i++)
            Assert.True(Vector2.Distance(eyes[i], expected[i]) < 1.5, $"eye {i}: ({eyes[i].X:F1}, {eyes[i].Y:F1}) vs recipe ({expected[i].X:F1}, {expected[i].Y:F1})");

        // And the pixels agree: the published Python recipe's output for dlib's landmarks (tests/tools/dlib_reference),
        // box-averaged to 64, matches the cached 64 image best without a shift, and closely.
        var cached = reader.Get(0, resolution);
        var recipe = ImagePyramid.Build(ImageDecoder.Decode(Path.Combine(Fixtures, "faces", "astronaut_ffhq256_recipe.png")), resolution, alignSize)
            .Single(l => l.Width == resolution);
        double best = double.MaxValue; (int X, int Y) bestShift = default;
        for (int dy = -3; dy <= 3; dy++)
            for (int dx = -3; dx <= 3; dx++)
            {
                double d = MeanAbsDiff(cached, recipe, dx, dy, margin: 4);
                if (d < best) (best, bestShift) = (d, (dx, dy));
            }
        Assert.True(Math.Abs(bestShift.X) <= 1 && Math.Abs(bestShift.Y) <= 1, $"best shift {bestShift}");
        Assert.True(best < 6, $"mean |cached − recipe| = {best:F1}");
    }

    private static double MeanAbsDiff(RgbImage a, RgbImage b, int dx, int dy, int margin)
    {
        double sum = 0; int n = 0;
        for (int y = margin; y < a.Height - margin; y++)
            for (int x = margin; x < a.Width - margin; x++)
                for (int c = 0; c < 3; c++, n++)
                    sum += Math.Abs(a.Pixels[(y * a.Width + x) * 3 + c] - b.Pixels[((y + dy) * b.Width + x + dx) * 3 + c]);
        return sum / n;
    }

    [Theory]
    [InlineData("synthetic")]
    [InlineData("ffhq-wild")]
    [InlineData("celeba")]
    public void Detect_is_refused_for_sources_that_are_not_plain_photos(string kind)
    {
        var e = Assert.Throws<ArgumentException>(() => IngestSourceFactory.Create(kind, new SourceSettings { Input = P("photos"), Detect = true }));
        Assert.Contains("--detect works on photo sources", e.Message);
    }

    [Fact]
    public void Detect_with_a_missing_landmark_model_says_where_to_get_one()
    {
        File.Copy(Path.Combine(Fixtures, "astronaut.png"), P("photos/a.png"));
        var e = Assert.Throws<FileNotFoundException>(() => IngestSourceFactory.Create("folder",
            new SourceSettings { Input = P("photos"), Detect = true, LandmarkModel = P("nowhere/shape_predictor_68_face_landmarks.dat") }));
        Assert.Contains("--landmark-model", e.Message);
        Assert.Contains("libdlib-data", e.Message);
    }

    [Fact]
    public void Celebahq_h5_with_detect_wraps_the_hdf5_reader()
    {
        using var source = IngestSourceFactory.Create("celebahq-h5", new SourceSettings
        {
            Input = Path.Combine(Fixtures, "celebahq_h5", "celebahq16.h5"), Detect = true, AlignSize = 64, LandmarkModel = DlibModelLocator.Locate(),
        });
        var detecting = Assert.IsType<FaceDetectingSource>(source);
        Assert.Equal(6, detecting.Count);
        var d = detecting.Describe(16);
        Assert.Equal("celebahq-h5", d.Kind);
        Assert.Equal("data16x16", d.Options["dataset"]);
        Assert.Contains(d.Deviations, x => x.Contains("instead of the recipe's 1024"));
        // 16×16 noise has no face: a reject with the reason, not an exception out of the pipeline.
        var item = detecting.Enumerate(0, 1).Single();
        var e = Assert.Throws<Data.Ingest.IngestRejectException>(() => detecting.PrepareItem(item, detecting.Read(item, 16), 16));
        Assert.Equal("no face found", e.Message);
    }
}
