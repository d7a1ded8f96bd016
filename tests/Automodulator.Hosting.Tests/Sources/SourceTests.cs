using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Automodulator.Data.Alignment;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;
using Automodulator.Data.Ingest.Sources;
using Automodulator.Hosting.Ingest;
using LightningDB;
using SkiaSharp;

namespace Automodulator.Hosting.Tests.Sources;

public sealed class SourceTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "amod-src-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private string P(string name) => Path.Combine(_root, name);

    private static IngestSummary Run(Data.Ingest.IIngestSource source, string output, int resolution, int workers = 2) =>
        new IngestPipeline(source, new IngestOptions { Output = output, Resolution = resolution, Workers = workers, ShardSize = 4, ChannelCapacity = 2 })
            .RunAsync().GetAwaiter().GetResult();

    private static Dictionary<string, string> RejectsById(string cache)
    {
        using var r = CacheReader.Open(cache);
        return r.Rejects().ToDictionary(x => x.Id, x => x.Reason);
    }

    [Fact]
    public void Ffhq_in_the_wild_json_is_aligned_split_and_bad_entries_are_rejected()
    {
        Directory.CreateDirectory(P("ffhq/in-the-wild-images/00000"));
        var json = new JsonObject();
        for (int i = 0; i < 3; i++)
        {
            var (photo, lm) = Fixtures.WildFace(i, 64, 120, 100, angleDeg: 10 * i - 10, scale: 1.0f + 0.2f * i, offset: new Vector2(25, 10));
            var rel = $"in-the-wild-images/00000/0000{i}.png";
            File.WriteAllBytes(P("ffhq/" + rel), Fixtures.Encode(photo, SKEncodedImageFormat.Png));
            json[i.ToString()] = Fixtures.FfhqEntry(i == 2 ? "validation" : "training", rel, lm);
        }
        var (_, good) = Fixtures.WildFace(0, 64, 120, 100, 0, 1, new Vector2(25, 10));
        json["3"] = Fixtures.FfhqEntry("training", "in-the-wild-images/00000/missing.png", good);
        json["4"] = Fixtures.FfhqEntry("training", "in-the-wild-images/00000/00000.png", good.Select(p => p + new Vector2(5000, 0)));
        json["5"] = Fixtures.FfhqEntry("training", "in-the-wild-images/00000/00000.png", good.Take(5));
        File.WriteAllText(P("ffhq/ffhq-dataset-v2.json"), json.ToJsonString());

        using var source = new FfhqWildSource(P("ffhq/ffhq-dataset-v2.json"), P("ffhq"), alignSize: 64);
        var summary = Run(source, P("cache"), 16);
        Assert.Equal(3, summary.Kept);
        var rejects = RejectsById(P("cache"));
        Assert.Contains("missing", rejects["3"]);
        Assert.Contains("outside", rejects["4"]);
        Assert.Contains("expected 68 landmarks", rejects["5"]);
        Assert.Equal(2, summary.Manifest.Splits["train"]);
        Assert.Equal(1, summary.Manifest.Splits["validation"]);
        Assert.Contains(summary.Manifest.Source.Deviations, d => d.Contains("instead of the recipe's 1024"));
    }

    [Fact]
    public void Ffhq_aligner_puts_known_eye_and_mouth_centres_where_the_recipe_says_within_a_pixel_at_1024()
    {
        // A photo with small dots exactly at the eye centres and mouth corners of a tilted face; align at 1024 and
        // find the dots again. The recipe's quad (NVlabs/ffhq-dataset) says where they must land.
        var (photo, lm) = Fixtures.WildFace(7, 200, 420, 380, angleDeg: 12, scale: 1.3f, offset: new Vector2(110, 40));
        var eyeL = Mean(lm, 36, 42); var eyeR = Mean(lm, 42, 48);
        Vector2[] key = [eyeL, eyeR, lm[48], lm[54]];
        SKColor[] colours = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(255, 255, 0)];
        var marked = Dots(photo, key, colours, radius: 2.5f);
        var aligned = new FfhqAligner().AlignLandmarks68(marked, lm).Image;
        Assert.Equal(1024, aligned.Width);

        // The recipe, written out independently: x = e2e − rot90(e2m), |x| = max(2|e2e|, 1.8|e2m|), c = eye_avg + 0.1·e2m.
        var eyeAvg = (eyeL + eyeR) / 2; var e2e = eyeR - eyeL; var mouthAvg = (lm[48] + lm[54]) / 2; var e2m = mouthAvg - eyeAvg;
        var x = e2e - new Vector2(-e2m.Y, e2m.X);
        x = Vector2.Normalize(x) * MathF.Max(e2e.Length() * 2, e2m.Length() * 1.8f);
        var y = new Vector2(-x.Y, x.X);
        var c = eyeAvg + e2m * 0.1f;
        var topLeft = c - x - y;
        Vector2 Expected(Vector2 p) => new(Vector2.Dot(p - topLeft, x) / (2 * x.LengthSquared()) * 1024 - 0.5f, Vector2.Dot(p - topLeft, y) / (2 * y.LengthSquared()) * 1024 - 0.5f);

        for (int k = 0; k < 4; k++)
        {
            var found = Centroid(aligned, colours[k]);
            var expected = Expected(key[k]);
            Assert.True(Vector2.Distance(found, expected) < 1.0f, $"point {k}: found {found}, recipe {expected}");
        }
    }

    [Fact]
    public void Celeba_five_point_list_and_image_list_select_align_and_split()
    {
        Directory.CreateDirectory(P("celeba/img_celeba"));
        var lines = new List<string> { "4", "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y" };
        string[] files = ["000001.jpg", "000002.jpg", "182638.jpg", "000004.jpg"];
        for (int i = 0; i < files.Length; i++)
        {
            var (photo, lm) = Fixtures.WildFace(20 + i, 64, 110, 130, angleDeg: 5, scale: 1.1f, offset: new Vector2(20, 30));
            if (i != 3) File.WriteAllBytes(P("celeba/img_celeba/" + files[i]), Fixtures.Encode(photo, SKEncodedImageFormat.Jpeg));
            var five = new[] { Mean(lm, 36, 42), Mean(lm, 42, 48), lm[30], lm[48], lm[54] };
            if (i != 1) lines.Add(files[i] + " " + string.Join(" ", five.SelectMany(p => new[] { p.X, p.Y }).Select(v => MathF.Round(v).ToString(CultureInfo.InvariantCulture))));
        }
        File.WriteAllLines(P("celeba/list_landmarks_celeba.txt"), lines);
        // CelebA-HQ's image_list.txt names the selection and its order.
        File.WriteAllLines(P("celeba/image_list.txt"), ["idx orig_idx orig_file proc_md5 final_md5", "0 182637 182638.jpg x y", "1 0 000001.jpg x y", "2 1 000002.jpg x y", "3 3 000004.jpg x y"]);
        using var source = new CelebASource(P("celeba/img_celeba"), P("celeba/list_landmarks_celeba.txt"), P("celeba/image_list.txt"), alignSize: 32);
        var summary = Run(source, P("cache"), 16);
        using var reader = CacheReader.Open(P("cache"));
        Assert.Equal(["182638.jpg", "000001.jpg"], reader.Items().Select(i => i.Id));
        Assert.Equal(["validation", "train"], reader.Items().Select(i => i.Split!));
        var rejects = RejectsById(P("cache"));
        Assert.Contains("no landmarks", rejects["000002.jpg"]);
        Assert.Contains("missing", rejects["000004.jpg"]);
        Assert.Contains(summary.Manifest.Source.Deviations, d => d.Contains("super-resolution"));
    }

    [Fact]
    public void Lsun_lmdb_with_webp_values_is_read_in_cursor_order_and_bad_values_rejected()
    {
        var db = P("lsun/bedroom_train_lmdb");
        Directory.CreateDirectory(db);
        LmdbNative.EnsureResolver();
        using (var env = new LightningEnvironment(db, new EnvironmentConfiguration { MapSize = 64 << 20 }))
        {
            env.Open();
            using var tx = env.BeginTransaction();
            using var table = tx.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
            for (int i = 0; i < 5; i++)
            {
                var key = System.Text.Encoding.ASCII.GetBytes($"{(char)('e' - i)}{i:D3}"); // keys sort in reverse of i
                byte[] value = i == 2 ? [1, 2, 3, 4] : Fixtures.Encode(Fixtures.Face(i, 40, 30), SKEncodedImageFormat.Webp);
                tx.Put(table, key, value).ThrowOnError();
            }
            tx.Commit().ThrowOnError();
        }
        using var source = new LsunSource(db);
        Assert.Equal(5, source.Count);
        Assert.False(source.CanMirror);
        var summary = Run(source, P("cache"), 16);
        Assert.Equal(4, summary.Kept);
        using var reader = CacheReader.Open(P("cache"));
        Assert.Equal(["a004", "b003", "d001", "e000"], reader.Items().Select(i => i.Id));
        Assert.Single(reader.Rejects(), r => r.Id == "c002");
        Assert.False(reader.CanMirror);
        // Centre crop: a 40×30 image keeps columns 5…34, resized to 16.
        var expected = SquareCrop.CenterCropResize(Fixtures.Face(4, 40, 30) is var f ? ImageDecoder.Decode(Fixtures.Encode(f, SKEncodedImageFormat.Webp)) : null!, 16);
        Assert.Equal(expected.Pixels, reader.Get(0, 16).Pixels);
    }

    [Fact]
    public void Lsun_cars_crop_letterboxes_a_four_by_three_band()
    {
        var img = Fixtures.Face(1, 80, 80);
        var wide = SquareCrop.WideCrop(img, 32);
        Assert.Equal(32, wide.Width);
        Assert.All(wide.Row(0).ToArray(), b => Assert.Equal(0, b));
        Assert.All(wide.Row(31).ToArray(), b => Assert.Equal(0, b));
        Assert.Contains(wide.Row(16).ToArray(), b => b != 0);
        Assert.Throws<Data.Ingest.IngestRejectException>(() => SquareCrop.WideCrop(Fixtures.Face(1, 20, 20), 32));
    }

    private static Vector2 Mean(Vector2[] p, int from, int to)
    {
        var s = Vector2.Zero;
        for (int i = from; i < to; i++) s += p[i];
        return s / (to - from);
    }

    /// <summary>Paints dots centred on pixel-centre coordinates.</summary>
    private static RgbImage Dots(RgbImage image, Vector2[] points, SKColor[] colours, float radius)
    {
        var result = new RgbImage(image.Width, image.Height, (byte[])image.Pixels.Clone());
        for (int k = 0; k < points.Length; k++)
            for (int y = 0; y < image.Height; y++)
                for (int x = 0; x < image.Width; x++)
                {
                    // Coverage by 4×4 supersampling so the dot's centroid is its centre to a small fraction of a pixel.
                    int inside = 0;
                    for (int sy = 0; sy < 4; sy++)
                        for (int sx = 0; sx < 4; sx++)
                            if (Vector2.Distance(new Vector2(x - 0.375f + sx * 0.25f, y - 0.375f + sy * 0.25f), points[k]) <= radius) inside++;
                    if (inside == 0) continue;
                    float a = inside / 16f;
                    int o = (y * image.Width + x) * 3;
                    result.Pixels[o] = (byte)MathF.Round(result.Pixels[o] * (1 - a) + colours[k].Red * a);
                    result.Pixels[o + 1] = (byte)MathF.Round(result.Pixels[o + 1] * (1 - a) + colours[k].Green * a);
                    result.Pixels[o + 2] = (byte)MathF.Round(result.Pixels[o + 2] * (1 - a) + colours[k].Blue * a);
                }
        return result;
    }

    /// <summary>Centroid of the pixels close to a pure colour (weighted by closeness).</summary>
    private static Vector2 Centroid(RgbImage img, SKColor colour)
    {
        double sx = 0, sy = 0, sw = 0;
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
            {
                int o = (y * img.Width + x) * 3;
                double d = Math.Abs(img.Pixels[o] - colour.Red) + Math.Abs(img.Pixels[o + 1] - colour.Green) + Math.Abs(img.Pixels[o + 2] - colour.Blue);
                if (d > 120) continue;
                double w = 120 - d;
                sx += w * x; sy += w * y; sw += w;
            }
        Assert.True(sw > 0, $"no pixels of colour {colour}");
        return new Vector2((float)(sx / sw), (float)(sy / sw));
    }
}
