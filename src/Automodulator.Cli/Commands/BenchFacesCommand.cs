using System.CommandLine;
using System.Diagnostics;
using Automodulator.Data.Alignment;
using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod bench faces`: landmarks per face, detection time per megapixel, and photo → aligned crop for generated
/// 12-megapixel and 3-megapixel JPEGs (the portrait enlarged onto a larger canvas), timed on this machine: per stage,
/// wall and CPU time (the process's, all threads), medians over the repeats.
/// </summary>
public static class BenchFacesCommand
{
    public static Command Create()
    {
        var photo = new Option<string>("--photo") { Description = "Portrait to measure on.", DefaultValueFactory = _ => Path.Combine("tests", "fixtures", "astronaut.png") };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each whole-photo measurement.", DefaultValueFactory = _ => 5 };
        var model = AlignCommand.LandmarkModelOption();
        var cmd = new Command("faces", "Time face detection, dlib's 68 landmarks and FFHQ alignment (per stage, wall and CPU).") { photo, repeats, model };
        cmd.SetAction(r =>
        {
            int n = Math.Max(1, r.GetValue(repeats));
            var portrait = ImageDecoder.Decode(r.GetValue(photo)!);
            Console.WriteLine($"cores: {Environment.ProcessorCount}; load average {LoadAverage()}; portrait {portrait.Width}×{portrait.Height}");

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
            var det = new Stages();
            for (int i = 0; i < n; i++)
            {
                det.Start();
                detector.Detect(portrait);
                det.Lap("detect");
                det.EndRun();
            }
            double mp = portrait.Width * (double)portrait.Height / 1e6;
            var (detWall, detCpu) = det.Median("detect");
            Console.WriteLine($"detection: {detWall:F1} ms wall, {detCpu:F1} ms CPU for {mp:F2} MP = {detCpu / mp:F0} ms CPU per megapixel of detection image " +
                              $"(photos are detected at ≤ {detector.Options.MaxDetectionSide} px on the long side)");

            var pipeline = new PhotoAligner(detector, predictor, new FfhqAligner(new FfhqAlignOptions { OutputSize = 1024 }));
            TimePhoto(pipeline, portrait, 4000, 3000, 4, n);
            TimePhoto(pipeline, portrait, 2000, 1500, 2, n);
            Console.WriteLine($"load average {LoadAverage()}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The 1-, 5- and 15-minute load averages (other processes share the cores: wall times depend on it).</summary>
    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
    }

    /// <summary>Wall and process-CPU time per named stage, one list per run.</summary>
    private sealed class Stages
    {
        private readonly Dictionary<string, List<(double Wall, double Cpu)>> _times = [];
        private readonly List<string> _order = [];
        private readonly Stopwatch _sw = new();
        private double _wall;
        private TimeSpan _cpu;
        private double _runWall;
        private TimeSpan _runCpu;
        public bool Recording { get; set; } = true;

        public void Start()
        {
            _sw.Restart();
            _wall = 0;
            _cpu = _runCpu = Environment.CpuUsage.TotalTime;
            _runWall = 0;
        }

        public void Lap(string stage)
        {
            double wall = _sw.Elapsed.TotalMilliseconds;
            var cpu = Environment.CpuUsage.TotalTime;
            Add(stage, wall - _wall, (cpu - _cpu).TotalMilliseconds);
            _wall = wall;
            _cpu = cpu;
        }

        public void EndRun(string total = "total") => Add(total, _sw.Elapsed.TotalMilliseconds - _runWall, (Environment.CpuUsage.TotalTime - _runCpu).TotalMilliseconds);

        private void Add(string stage, double wall, double cpu)
        {
            if (!Recording) return;
            if (!_times.TryGetValue(stage, out var list))
            {
                _times[stage] = list = [];
                _order.Add(stage);
            }
            list.Add((wall, cpu));
        }

        public IEnumerable<string> Names => _order;

        public (double Wall, double Cpu) Median(string stage)
        {
            var list = _times[stage];
            return (MedianOf(list.Select(x => x.Wall)), MedianOf(list.Select(x => x.Cpu)));
        }

        private static double MedianOf(IEnumerable<double> values)
        {
            var v = values.OrderBy(x => x).ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }

        public void Print(string title)
        {
            Console.WriteLine($"  {title}");
            foreach (var name in Names)
            {
                var (wall, cpu) = Median(name);
                Console.WriteLine($"    {name,-34} {wall,7:F1} ms wall {cpu,7:F1} ms CPU");
            }
        }
    }

    /// <summary>
    /// Times a generated JPEG holding the portrait enlarged → 1024 crop, three ways in alternation: the steps of
    /// <see cref="PhotoAligner.Align(PartialPhoto, bool, int)"/> one by one (reduced decode for detection, full
    /// resolution only around the face; what <c>automod align</c> does), the same call end to end, and the whole
    /// photo decoded first (<see cref="PhotoAligner.Align(RgbImage, bool, int)"/>). The first run of each is a
    /// warm-up. Medians over the repeats.
    /// </summary>
    private static void TimePhoto(PhotoAligner pipeline, RgbImage portrait, int width, int height, int enlarge, int repeats)
    {
        var jpeg = MakeJpeg(portrait, width, height, enlarge);
        var partial = new Stages();
        var endToEnd = new Stages();
        var whole = new Stages();
        string detectSize = "";
        for (int i = 0; i <= repeats; i++)
        {
            partial.Recording = endToEnd.Recording = whole.Recording = i > 0;

            // The steps of PhotoAligner.Align(PartialPhoto), timed one by one.
            partial.Start();
            var photo = PartialPhoto.Open(jpeg, "bench.jpg");
            var small = photo.Reduced(pipeline.Detector.DetectionFactor(photo.Width, photo.Height));
            partial.Lap("reduced decode");
            var faces = pipeline.Detector.Detect(small, (double)photo.Width / small.Width);
            partial.Lap("detect");
            detectSize = $"{small.Width}×{small.Height}";
            if (faces.Count == 0) throw new InvalidOperationException("The generated photo lost its face in the reduced decode.");
            var box = faces[0].Box;
            photo.EnsureDecoded(PhotoAligner.FirstRegion(box));
            partial.Lap("face-region decode");
            var pts = pipeline.Landmarks.Predict(photo.Canvas, box, photo.Decoded, out bool inside);
            if (!inside) throw new InvalidOperationException("Landmark features left the decoded region.");
            partial.Lap("landmarks");
            var quad = FaceQuad.FromLandmarks68(pts, pipeline.Aligner.Options.RotateLevel);
            var (x0, y0, x1, y1) = pipeline.Aligner.SourceRegion(quad, photo.Width, photo.Height);
            photo.EnsureDecoded(new PixelRect(x0, y0, x1, y1));
            partial.Lap("crop-region decode (if any more)");
            pipeline.Aligner.Align(photo.Canvas, quad);
            partial.Lap("align (FFHQ recipe → 1024)");
            partial.EndRun("sum of the stages");

            endToEnd.Start();
            var result = pipeline.Align(PartialPhoto.Open(jpeg, "bench.jpg"));
            endToEnd.EndRun("PhotoAligner.Align(PartialPhoto)");
            if (!result.Succeeded) throw new InvalidOperationException($"The generated photo was rejected: {result.RejectReason}");

            whole.Start();
            var image = ImageDecoder.Decode(jpeg, "bench.jpg");
            whole.Lap("decode");
            var found = pipeline.Detector.Detect(image);
            whole.Lap("detect");
            if (found.Count == 0) throw new InvalidOperationException("The generated photo lost its face; the detector regressed.");
            var points = pipeline.Landmarks.Predict(image, found[0].Box);
            whole.Lap("landmarks");
            pipeline.Aligner.AlignLandmarks68(image, points);
            whole.Lap("align");
            whole.EndRun("total");
        }
        Console.WriteLine($"photo → aligned 1024, {width}×{height} JPEG ({jpeg.Length / 1024} KiB), medians of {repeats}; detection image {detectSize}:");
        partial.Print("partial decode, stage by stage (the steps of PhotoAligner.Align(PartialPhoto)):");
        endToEnd.Print("end to end:");
        whole.Print("whole decode first (PhotoAligner.Align(RgbImage): ingest --detect and edits, which hold decoded images):");
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
