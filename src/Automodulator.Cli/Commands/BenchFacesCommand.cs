using System.CommandLine;
using System.Diagnostics;
using Automodulator.Data.Alignment;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod bench faces`: landmarks per face, detection time per megapixel, and photo → aligned crop for generated
/// 12-megapixel and 3-megapixel JPEGs (the portrait enlarged onto a larger canvas), timed on this machine.
/// </summary>
public static class BenchFacesCommand
{
    public static Command Create()
    {
        var photo = new Option<string>("--photo") { Description = "Portrait to measure on.", DefaultValueFactory = _ => Path.Combine("tests", "fixtures", "astronaut.png") };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each whole-photo measurement.", DefaultValueFactory = _ => 5 };
        var model = AlignCommand.LandmarkModelOption();
        var cmd = new Command("faces", "Time face detection, dlib's 68 landmarks and FFHQ alignment.") { photo, repeats, model };
        cmd.SetAction(r =>
        {
            int n = Math.Max(1, r.GetValue(repeats));
            var portrait = ImageDecoder.Decode(r.GetValue(photo)!);
            Console.WriteLine($"cores: {Environment.ProcessorCount}; portrait {portrait.Width}×{portrait.Height}");

            var sw = Stopwatch.StartNew();
            var predictor = ShapePredictor.Load(DlibModelLocator.Locate(r.GetValue(model)));
            Console.WriteLine($"landmark model load: {sw.Elapsed.TotalMilliseconds:F0} ms ({predictor.Model})");
            var detector = FaceDetector.Load();
            var faces = detector.Detect(portrait);
            if (faces.Count == 0) throw new ArgumentException($"No face found in {r.GetValue(photo)}; give a portrait with --photo.");
            var box = faces[0].Box;

            for (int i = 0; i < 50; i++) predictor.Predict(portrait, box);
            int reps = 2000;
            sw.Restart();
            for (int i = 0; i < reps; i++) predictor.Predict(portrait, box);
            Console.WriteLine($"landmarks: {sw.Elapsed.TotalMilliseconds / reps:F3} ms per face (68 points, one thread)");

            detector.Detect(portrait);
            sw.Restart();
            for (int i = 0; i < n; i++) detector.Detect(portrait);
            double detMs = sw.Elapsed.TotalMilliseconds / n;
            double mp = portrait.Width * (double)portrait.Height / 1e6;
            Console.WriteLine($"detection: {detMs:F1} ms for {mp:F2} MP = {detMs / mp:F0} ms per megapixel of detection image " +
                              $"(photos are detected at ≤ {detector.Options.MaxDetectionSide} px on the long side)");

            var pipeline = new PhotoAligner(detector, predictor, new FfhqAligner(new FfhqAlignOptions { OutputSize = 1024 }));
            TimePhoto(pipeline, portrait, 4000, 3000, 4, n);
            TimePhoto(pipeline, portrait, 2000, 1500, 2, n);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// Times decode → detect → landmarks → 1024 crop on a generated JPEG holding the portrait enlarged, two ways in
    /// alternation: the whole photo decoded first (<see cref="PhotoAligner.Align(RgbImage, bool, int)"/>), and the
    /// partial decode (<see cref="PhotoAligner.Align(PartialPhoto, bool, int)"/>: reduced decode for detection, full
    /// resolution only around the face). Medians over the repeats.
    /// </summary>
    private static void TimePhoto(PhotoAligner pipeline, RgbImage portrait, int width, int height, int enlarge, int repeats)
    {
        var jpeg = MakeJpeg(portrait, width, height, enlarge);
        var whole = new List<double[]>();
        var partial = new List<double[]>();
        var proc = Process.GetCurrentProcess();
        for (int i = 0; i <= repeats; i++)
        {
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var image = ImageDecoder.Decode(jpeg, "bench.jpg");
            double t0 = sw.Elapsed.TotalMilliseconds;
            var found = pipeline.Detector.Detect(image);
            double t1 = sw.Elapsed.TotalMilliseconds;
            if (found.Count == 0) throw new InvalidOperationException("The generated photo lost its face; the detector regressed.");
            var points = pipeline.Landmarks.Predict(image, found[0].Box);
            double t2 = sw.Elapsed.TotalMilliseconds;
            pipeline.Aligner.AlignLandmarks68(image, points);
            double t3 = sw.Elapsed.TotalMilliseconds;
            proc.Refresh();
            var cpu1 = proc.TotalProcessorTime;
            if (i > 0) whole.Add([t3, t0, t1 - t0, t2 - t1, t3 - t2, (cpu1 - cpu0).TotalMilliseconds]);

            // The same steps as PhotoAligner.Align(PartialPhoto), timed one by one.
            sw.Restart();
            var photo = PartialPhoto.Open(jpeg, "bench.jpg");
            var small = photo.Reduced(pipeline.Detector.DetectionFactor(photo.Width, photo.Height));
            double u0 = sw.Elapsed.TotalMilliseconds;
            var faces = pipeline.Detector.Detect(small, (double)photo.Width / small.Width);
            double u1 = sw.Elapsed.TotalMilliseconds;
            if (faces.Count == 0) throw new InvalidOperationException("The generated photo lost its face in the reduced decode.");
            var box = faces[0].Box;
            double r = box.Width * 1.6;
            photo.EnsureDecoded(new PixelRect((int)(box.CenterX - r), (int)(box.CenterY - r), (int)(box.CenterX + r) + 2, (int)(box.CenterY + r) + 2));
            double u2 = sw.Elapsed.TotalMilliseconds;
            var pts = pipeline.Landmarks.Predict(photo.Canvas, box, photo.Decoded, out bool inside);
            if (!inside) throw new InvalidOperationException("Landmark features left the decoded region.");
            double u3 = sw.Elapsed.TotalMilliseconds;
            var quad = FaceQuad.FromLandmarks68(pts, pipeline.Aligner.Options.RotateLevel);
            var (x0, y0, x1, y1) = pipeline.Aligner.SourceRegion(quad, photo.Width, photo.Height);
            photo.EnsureDecoded(new PixelRect(x0, y0, x1, y1));
            double u4 = sw.Elapsed.TotalMilliseconds;
            pipeline.Aligner.Align(photo.Canvas, quad);
            double u5 = sw.Elapsed.TotalMilliseconds;
            proc.Refresh();
            if (i > 0) partial.Add([u5, u0, u1 - u0, u2 - u1 + (u4 - u3), u3 - u2, u5 - u4, (proc.TotalProcessorTime - cpu1).TotalMilliseconds]);
        }
        static double Median(List<double[]> runs, int k)
        {
            var v = runs.Select(x => x[k]).OrderBy(x => x).ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }
        Console.WriteLine($"photo → aligned 1024, {width}×{height} JPEG ({jpeg.Length / 1024} KiB), medians of {repeats}:");
        Console.WriteLine($"  whole decode first: {Median(whole, 0):F0} ms wall (decode {Median(whole, 1):F0}, detect {Median(whole, 2):F0}, " +
                          $"landmarks {Median(whole, 3):F1}, align {Median(whole, 4):F0}); CPU {Median(whole, 5):F0} ms");
        Console.WriteLine($"  partial decode:     {Median(partial, 0):F0} ms wall (reduced decode {Median(partial, 1):F0}, detect {Median(partial, 2):F0}, " +
                          $"face-region decode {Median(partial, 3):F0}, landmarks {Median(partial, 4):F1}, align {Median(partial, 5):F0}); CPU {Median(partial, 6):F0} ms");
    }

    private static byte[] MakeJpeg(RgbImage portrait, int width, int height, int enlarge)
    {
        using var canvasBmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(canvasBmp))
        {
            using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                [new SKColor(40, 60, 90), new SKColor(200, 190, 160)], SKShaderTileMode.Clamp);
            using var bg = new SKPaint { Shader = shader };
            canvas.DrawRect(0, 0, width, height, bg);
            using var src = ImageGrid.ToBitmap(portrait);
            using var img = SKImage.FromBitmap(src);
            int w = portrait.Width * enlarge, h = portrait.Height * enlarge;
            canvas.DrawImage(img, SKRect.Create((width - w) / 2f, (height - h) / 2f, w, h), new SKSamplingOptions(SKFilterMode.Linear));
        }
        using var data = canvasBmp.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }
}
