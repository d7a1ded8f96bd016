using System.Numerics;
using System.Text.Json.Nodes;
using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Cli.Tests;

/// <summary>
/// `automod align` as a user runs it: the portrait, a photo without a face and a corrupt file in one batch. Needs
/// Debian's libdlib-data and opencv-data (scripts/setup.sh installs them).
/// </summary>
public sealed class AlignCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-align-").FullName;
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Input(string name) => Path.Combine(_dir, "in", name);

    [Fact]
    public void Align_writes_crop_record_and_overlay_and_records_the_photos_it_cannot_use()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        File.Copy(Path.Combine(Fixtures, "astronaut.png"), Input("portrait.png"));
        using (var bmp = ImageGrid.ToBitmap(Automodulator.Tests.Shared.TestImages.FaceFree(400, 300)))
        using (var data = bmp.Encode(SKEncodedImageFormat.Jpeg, 90))
            File.WriteAllBytes(Input("landscape.jpg"), data.ToArray());
        // The portrait doubled on a 1600×1200 JPEG: decoded in part (a DCT-scaled copy, full resolution near the face).
        var portrait = ImageDecoder.Decode(Path.Combine(Fixtures, "astronaut.png"));
        var big = new RgbImage(1600, 1200);
        for (int y = 0; y < 1200; y++)
            for (int x = 0; x < 1600; x++)
                portrait.Pixels.AsSpan((Math.Min(y / 2, 511) * 512 + Math.Min(x / 2, 511)) * 3, 3).CopyTo(big.Pixels.AsSpan((y * 1600 + x) * 3, 3));
        using (var bmp = ImageGrid.ToBitmap(big))
        using (var data = bmp.Encode(SKEncodedImageFormat.Jpeg, 92))
            File.WriteAllBytes(Input("big.jpg"), data.ToArray());
        // A JPEG start-of-image marker followed by garbage.
        File.WriteAllBytes(Input("broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x02, 0x03]);
        var output = Path.Combine(_dir, "out");

        var r = AutomodRunner.Run("align", Input("portrait.png"), Input("big.jpg"), Input("landscape.jpg"), Input("broken.jpg"), "--out", output, "--size", "256");

        // Rejected photos make the exit code 1; each photo has its own result line.
        Assert.True(r.ExitCode == 1, $"exit code {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains($"{Input("portrait.png")}: aligned 1 of 1 face(s)", r.Stdout);
        Assert.Contains($"{Input("landscape.jpg")}: rejected: no face found", r.Stdout);
        Assert.Contains($"{Input("broken.jpg")}: rejected: unreadable:", r.Stdout);
        Assert.Contains($"{Input("big.jpg")}: aligned 1 of 1 face(s)", r.Stdout);
        Assert.Contains("aligned 2 face(s); 2 photo(s) rejected", r.Stdout);

        // Exactly these files: no crop for the rejects, no overlay for the unreadable file, no temporary leftovers.
        var files = Directory.GetFiles(output).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(new[]
        {
            "big.json", "big_00.png", "big_overlay.png", "broken.json", "landscape.json", "landscape_overlay.png",
            "portrait.json", "portrait_00.png", "portrait_overlay.png",
        }, files);
        var bigOverlay = ImageDecoder.Decode(Path.Combine(output, "big_overlay.png"));
        Assert.Equal((800, 600), (bigOverlay.Width, bigOverlay.Height));
        var bigCrop = ImageDecoder.Decode(Path.Combine(output, "big_00.png"));
        Assert.Equal((256, 256), (bigCrop.Width, bigCrop.Height));

        var crop = ImageDecoder.Decode(Path.Combine(output, "portrait_00.png"));
        Assert.Equal((256, 256), (crop.Width, crop.Height));
        var overlay = ImageDecoder.Decode(Path.Combine(output, "portrait_overlay.png"));
        Assert.Equal((512, 512), (overlay.Width, overlay.Height));

        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "portrait.json")))!;
        Assert.Equal("ok", record["result"]!.GetValue<string>());
        Assert.Equal(512, record["width"]!.GetValue<int>());
        Assert.Equal(1, record["detected_faces"]!.GetValue<int>());
        var face = Assert.Single(record["faces"]!.AsArray())!;
        Assert.Equal("portrait_00.png", face["image"]!.GetValue<string>());
        Assert.Equal(4, face["box"]!.AsArray().Count);
        Assert.Equal(4, face["detector_box"]!.AsArray().Count);
        Assert.Equal(4, face["quad"]!.AsArray().Count);
        Assert.True(face["verifier_hits"]!.GetValue<int>() >= 8);
        var landmarks = face["landmarks"]!.AsArray().Select(p => new Vector2(p![0]!.GetValue<float>(), p[1]!.GetValue<float>())).ToArray();
        Assert.Equal(68, landmarks.Length);
        // The left eye where dlib's own landmarks put it (tests/fixtures/faces/dlib_reference.json, astronaut.ppm).
        var eye = Mean(landmarks.AsSpan(36, 6));
        var dlibEye = Mean(DlibReferenceLandmarks().AsSpan(36, 6));
        Assert.True(Vector2.Distance(eye, dlibEye) < 2, $"left eye at {eye}, dlib's at {dlibEye}");

        // On the doubled portrait, at twice the place (pixel x covers 2x and 2x + 1).
        var bigRecord = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "big.json")))!;
        var bigLandmarks = bigRecord["faces"]![0]!["landmarks"]!.AsArray().Select(p => new Vector2(p![0]!.GetValue<float>(), p[1]!.GetValue<float>())).ToArray();
        var bigEye = Mean(bigLandmarks.AsSpan(36, 6));
        Assert.True(Vector2.Distance(bigEye, dlibEye * 2 + new Vector2(0.5f)) < 4, $"left eye at {bigEye}, expected near {dlibEye * 2 + new Vector2(0.5f)}");

        var noFace = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "landscape.json")))!;
        Assert.Equal("no face found", noFace["result"]!.GetValue<string>());
        Assert.Empty(noFace["faces"]!.AsArray());
        var unreadable = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "broken.json")))!;
        Assert.StartsWith("unreadable: ", unreadable["result"]!.GetValue<string>());
        Assert.Equal(Input("broken.jpg"), unreadable["photo"]!.GetValue<string>());
    }

    private static Vector2 Mean(ReadOnlySpan<Vector2> points)
    {
        var s = Vector2.Zero;
        foreach (var p in points) s += p;
        return s / points.Length;
    }

    private static Vector2[] DlibReferenceLandmarks()
    {
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "faces", "dlib_reference.json")))!;
        var image = doc["images"]!.AsArray().Single(i => i!["image"]!.GetValue<string>() == "astronaut.ppm")!;
        return image["hog"]![0]!["landmarks"]!.AsArray().Select(p => new Vector2(p![0]!.GetValue<float>(), p[1]!.GetValue<float>())).ToArray();
    }
}
