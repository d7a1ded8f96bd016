using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod align PHOTOS… --out DIR`: FFHQ-aligned face crops from any photos, with a JSON record and a debug overlay
/// per photo. A photo that cannot be used (unreadable, no face, face too small) gets a result line and the batch goes on.
/// JPEGs are decoded only as far as needed (<see cref="PartialPhoto"/>): a DCT-scaled copy for detection and for the
/// overlay's background, full resolution only around the faces.
/// </summary>
public static class AlignCommand
{
    public static Command Create()
    {
        var photos = new Argument<string[]>("photos") { Description = "Photos (JPEG, PNG, WebP, …) to align.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Folder for aligned PNGs, JSON records and overlays.", Required = true };
        var size = new Option<int>("--size") { Description = "Side of the aligned square image.", DefaultValueFactory = _ => 1024 };
        var all = new Option<bool>("--all-faces") { Description = "Align every face found (default: only the largest)." };
        var largest = new Option<bool>("--largest") { Description = "Align only the largest face (the default)." };
        var minFace = new Option<int>("--min-face") { Description = "Ignore faces whose box is smaller than this many pixels.", DefaultValueFactory = _ => 64 };
        var model = LandmarkModelOption();
        var cmd = new Command("align", "Detect faces, place dlib's 68 landmarks and write FFHQ-aligned crops (plus JSON and a debug overlay).")
        {
            photos, output, size, all, largest, minFace, model,
        };
        cmd.SetAction(r =>
        {
            if (r.GetValue(all) && r.GetValue(largest)) throw new ArgumentException("Give --all-faces or --largest, not both.");
            int side = r.GetValue(size);
            if (side is < 8 or > 8192) throw new ArgumentException("--size must be 8…8192 pixels.");
            int min = r.GetValue(minFace);
            if (min < 1) throw new ArgumentException("--min-face must be at least 1 pixel.");
            var aligner = PhotoAligner.Create(r.GetValue(model), side, min);
            var dir = r.GetValue(output)!;
            Directory.CreateDirectory(dir);
            int failed = 0, aligned = 0;
            foreach (var photo in r.GetValue(photos)!)
            {
                var line = AlignOne(aligner, photo, dir, r.GetValue(all), min, out bool ok, out int count);
                Console.WriteLine(line);
                if (ok) aligned += count; else failed++;
            }
            Console.WriteLine($"aligned {aligned} face(s); {failed} photo(s) rejected");
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }

    public static Option<string?> LandmarkModelOption() => new("--landmark-model")
    {
        Description = $"dlib's {DlibModelLocator.FileName} (default: ${DlibModelLocator.EnvironmentVariable}, then /usr/share/dlib/ from Debian's libdlib-data).",
    };

    /// <summary>Processes one photo; never throws for a bad photo, returns its result line.</summary>
    internal static string AlignOne(PhotoAligner aligner, string photo, string dir, bool allFaces, int minFace, out bool ok, out int count)
    {
        ok = false;
        count = 0;
        var stem = Path.GetFileNameWithoutExtension(photo);
        var record = new JsonObject { ["photo"] = Path.GetFullPath(photo) };
        try
        {
            // Decode no more than needed (JPEG: a DCT-scaled copy for detection and the overlay, full resolution
            // only around the faces; see PartialPhoto).
            var partial = PartialPhoto.Open(ImageDecoder.ReadFile(photo), Path.GetFileName(photo));
            var result = aligner.Align(partial, allFaces, minFace);
            record["width"] = result.Width;
            record["height"] = result.Height;
            record["detected_faces"] = result.DetectedFaces;
            var faces = new JsonArray();
            for (int i = 0; i < result.Faces.Count; i++)
            {
                var f = result.Faces[i];
                var name = $"{stem}_{i:D2}.png";
                using (var bmp = ImageGrid.ToBitmap(f.Aligned.Image))
                using (var data = bmp.Encode(SKEncodedImageFormat.Png, 100))
                    AtomicFile.Write(Path.Combine(dir, name), data.AsSpan());
                faces.Add(new JsonObject
                {
                    ["image"] = name,
                    ["box"] = Box(f.Detection.Box),
                    ["detector_box"] = Box(f.Detection.CascadeBox),
                    ["detector_neighbors"] = f.Detection.Neighbors,
                    ["verifier_hits"] = f.Detection.VerifierHits,
                    ["landmarks"] = new JsonArray(f.Landmarks.Select(p => (JsonNode)new JsonArray(Round(p.X), Round(p.Y))).ToArray()),
                    ["quad"] = new JsonArray(f.Aligned.Quad.Corners.Select(c => (JsonNode)new JsonArray(Round(c.X), Round(c.Y))).ToArray()),
                    ["quad_size"] = Round(f.Aligned.Quad.Size),
                    ["padded"] = f.Aligned.Padded,
                });
            }
            record["faces"] = faces;
            record["result"] = result.Succeeded ? "ok" : result.RejectReason;
            int factor = FaceOverlay.Reduction(partial.Width, partial.Height);
            var overlay = FaceOverlay.RenderPng(partial.Reduced(factor), factor, result.Faces, result.Detections.Where(d => result.Faces.All(f => f.Detection != d)));
            AtomicFile.Write(Path.Combine(dir, $"{stem}_overlay.png"), overlay);
            WriteRecord(dir, stem, record);
            ok = result.Succeeded;
            count = result.Faces.Count;
            return ok
                ? $"{photo}: aligned {count} of {result.DetectedFaces} face(s) -> {string.Join(", ", faces.Select(f => Path.Combine(dir, f!["image"]!.GetValue<string>())))}"
                : $"{photo}: rejected: {result.RejectReason}";
        }
        catch (ImageDecodeException e)
        {
            record["result"] = $"unreadable: {e.Reason}";
            WriteRecord(dir, stem, record);
            return $"{photo}: rejected: unreadable: {e.Reason}";
        }
        catch (ArgumentException e)
        {
            // Degenerate landmarks or a quad off the image: a per-photo failure, not a batch failure.
            record["result"] = $"alignment failed: {e.Message}";
            WriteRecord(dir, stem, record);
            return $"{photo}: rejected: alignment failed: {e.Message}";
        }
    }

    private static void WriteRecord(string dir, string stem, JsonObject record) =>
        AtomicFile.WriteAllText(Path.Combine(dir, $"{stem}.json"), record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static JsonArray Box(FaceBox b) => new(Round(b.Left), Round(b.Top), Round(b.Right), Round(b.Bottom));

    private static double Round(double v) => Math.Round(v, 2);
}
