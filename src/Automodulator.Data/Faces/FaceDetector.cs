using System.Collections.Concurrent;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Faces;

/// <summary>Settings of <see cref="FaceDetector"/>; the defaults are OpenCV's detectMultiScale defaults.</summary>
public sealed record FaceDetectorOptions
{
    /// <summary>Pyramid step between window sizes (OpenCV's scaleFactor).</summary>
    public double ScaleFactor { get; init; } = 1.1;

    /// <summary>Raw hits a face needs beyond the first (OpenCV's minNeighbors).</summary>
    public int MinNeighbors { get; init; } = 3;

    /// <summary>Smallest face box side to report, in pixels of the original image.</summary>
    public int MinFaceSize { get; init; } = 24;

    /// <summary>
    /// Images whose longer side exceeds this are detected on a copy reduced by the smallest integer factor that
    /// brings it within (boxes map back); the smallest face found is then 24 × that factor. 512 makes 12-megapixel
    /// photos (4000–4096 px) exactly 1/8, which JPEG decodes at a fraction of a full decode's cost (see
    /// <see cref="Imaging.PartialPhoto.Reduced"/>), and costs 0.77× the windows of the 640 it used to be.
    /// </summary>
    public int MaxDetectionSide { get; init; } = 512;

    /// <summary>
    /// A second, independently trained cascade that must also fire on a candidate (see <see cref="FaceDetector"/>);
    /// null turns the check off. Default: OpenCV's haarcascade_frontalface_default (Viola–Jones' own features).
    /// </summary>
    public string? VerifierCascadePath { get; init; } = FaceDetector.DefaultVerifierPath;

    /// <summary>
    /// Windows of the verifier, at the candidate's place and size, that a face needs. Measured on the test photos:
    /// true faces 26 or more, non-faces that passed <see cref="MinNeighbors"/> at most 2.
    /// </summary>
    public int MinVerifierHits { get; init; } = 8;

    /// <summary>Evaluate the first stages 8 windows at a time (same verdicts; off only to check that in tests).</summary>
    internal bool Simd { get; init; } = true;
}

/// <summary>
/// A detected face: the box handed to the landmarker (calibrated to dlib's HOG boxes), the raw cascade box, the
/// cascade windows grouped into it, and how many windows of the verifier cascade agree (−1: no verifier).
/// </summary>
public readonly record struct FaceDetection(FaceBox Box, FaceBox CascadeBox, int Neighbors, int VerifierHits = -1);

/// <summary>
/// Frontal face detection with OpenCV's Haar cascade (haarcascade_frontalface_alt2 from Debian's opencv-data) in
/// C#: an image pyramid, a 24×24 window moved as OpenCV moves it (2 pixels up to 2× scale, then 1; one more after
/// a first-stage reject), OpenCV's rectangle grouping (a 2-pixel step everywhere halved the hits and loosened the boxes). The cascade's boxes are tighter and higher than
/// the HOG boxes dlib's landmark model was trained on, so each box is mapped to a dlib-like box with a fit to dlib's
/// own detector (see <see cref="ToDlibBox"/>). Large photos are detected on a downscaled copy. Thread-safe.
/// <para>
/// Each candidate is then checked by a second cascade (haarcascade_frontalface_default, trained separately on
/// other features): it is scanned at every window position and pyramid scale within ±30% of the candidate's size,
/// and at least <see cref="FaceDetectorOptions.MinVerifierHits"/> of its accepted windows must match the candidate
/// (OpenCV's grouping similarity). On the test photos (the portrait at 27 sizes from 0.27× to 1.6×, each also
/// mirrored and each resized with a Lanczos and a box filter; halved, grey, cropped, enlarged) every true face found
/// gets 26 or more; the candidates there that passed alt2's
/// neighbour threshold but are no face (the half-size portrait's space-suit collar among them) get at most 2, and
/// even alt2's weak clusters (≤ 3 windows) at most 12.
/// </para>
/// </summary>
public sealed class FaceDetector
{
    public const string DefaultCascadePath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml";
    public const string DefaultVerifierPath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

    public static readonly string InstallHint =
        "Install Debian's opencv-data (apt-get install opencv-data), which puts the Haar cascades in /usr/share/opencv4/haarcascades/.";

    // dlib HOG box ≈ cascade box moved down and shrunk, fitted (least squares, per ratio) on the astronaut portrait and
    // its flipped, cropped, doubled and grey variants: dlib's HOG boxes from tests/tools/dlib_reference against this
    // detector's boxes. Per-photo ratios: Δcentre-y/w 0.129 0.138 0.128 0.135 0.077, side/w 0.907 0.936 0.898 0.917
    // 0.928; Δcentre-x/w averages −0.007 (mirror symmetry says 0).
    private const double CalibDx = 0.0, CalibDy = 0.121, CalibScale = 0.917;

    private static readonly ConcurrentDictionary<string, Lazy<HaarCascade>> Cascades = new();
    private readonly HaarCascade _cascade;
    private readonly FaceDetector? _verifier;

    /// <param name="verifier">The second cascade candidates must pass (null: none; see <see cref="FaceDetectorOptions.VerifierCascadePath"/>).</param>
    public FaceDetector(HaarCascade cascade, FaceDetectorOptions? options = null, HaarCascade? verifier = null)
    {
        _cascade = cascade;
        Options = options ?? new FaceDetectorOptions();
        if (verifier is not null) _verifier = new FaceDetector(verifier, Options with { VerifierCascadePath = null });
    }

    public FaceDetectorOptions Options { get; }

    /// <summary>Loads the default (or a given) cascade, and the verifier the options name, once per process.</summary>
    public static FaceDetector Load(string? cascadePath = null, FaceDetectorOptions? options = null)
    {
        options ??= new FaceDetectorOptions();
        var verifier = options.VerifierCascadePath is { } v ? LoadCascade(v) : null;
        return new FaceDetector(LoadCascade(cascadePath ?? DefaultCascadePath), options, verifier);
    }

    private static HaarCascade LoadCascade(string path) =>
        Cascades.GetOrAdd(Path.GetFullPath(path), p => new Lazy<HaarCascade>(() => HaarCascade.Load(p))).Value;

    /// <summary>The dlib-style box for a cascade box (see the calibration constants).</summary>
    public static FaceBox ToDlibBox(FaceBox cascadeBox)
    {
        double side = cascadeBox.Width * CalibScale;
        double cx = cascadeBox.CenterX + CalibDx * cascadeBox.Width, cy = cascadeBox.CenterY + CalibDy * cascadeBox.Width;
        return FaceBox.FromXywh(cx - (side - 1) / 2, cy - (side - 1) / 2, side, side);
    }

    /// <summary>Faces in <paramref name="image"/>, largest first, boxes in its pixel coordinates.</summary>
    public IReadOnlyList<FaceDetection> Detect(RgbImage image)
    {
        int factor = DetectionFactor(image.Width, image.Height);
        var small = factor > 1 ? Resampler.DownscaleByInteger(image, factor) : image;
        return Detect(small, factor);
    }

    /// <summary>The integer reduction of a photo of this size before detection (1 when it is small enough).</summary>
    public int DetectionFactor(int width, int height)
    {
        int longSide = Math.Max(width, height), factor = 1;
        while (longSide / factor > Options.MaxDetectionSide) factor++;
        return factor;
    }

    /// <summary>
    /// Faces in an already reduced copy of a photo: <paramref name="scaleToOriginal"/> is how many original pixels
    /// one pixel of <paramref name="detectionImage"/> spans; boxes come back in original coordinates.
    /// </summary>
    public IReadOnlyList<FaceDetection> Detect(RgbImage detectionImage, double scaleToOriginal)
    {
        var gray = ToGray(detectionImage);
        int w = detectionImage.Width, h = detectionImage.Height;
        int ww = _cascade.WindowWidth, wh = _cascade.WindowHeight;
        var scales = new List<double>();
        for (double s = 1; w / s >= ww && h / s >= wh; s *= Options.ScaleFactor)
            if (ww * s * scaleToOriginal >= Options.MinFaceSize * 0.8) scales.Add(s);
        var hits = new ConcurrentBag<(int X, int Y, int W, int H)>();
        Parallel.ForEach(scales, s =>
        {
            int sw = (int)Math.Round(w / s), sh = (int)Math.Round(h / s);
            if (sw < ww || sh < wh) return;
            var level = s == 1 ? gray : ResizeGray(gray, w, h, sw, sh);
            foreach (var (x, y) in ScanLevel(level, sw, sh, s > 2 ? 1 : 2))
                hits.Add(((int)Math.Round(x * s), (int)Math.Round(y * s), (int)Math.Round(ww * s), (int)Math.Round(wh * s)));
        });
        // Levels finish in any order; sorted hits make the grouping (and the order of equal-sized faces) repeatable.
        var sorted = hits.ToList();
        sorted.Sort();
        var grouped = GroupRectangles(sorted, Options.MinNeighbors, 0.2);
        var result = new List<FaceDetection>();
        foreach (var (r, n) in grouped)
        {
            var raw = FaceBox.FromXywh(r.X * scaleToOriginal, r.Y * scaleToOriginal, r.W * scaleToOriginal, r.H * scaleToOriginal);
            var box = ToDlibBox(raw);
            if (box.Width < Options.MinFaceSize) continue;
            int verified = -1;
            if (_verifier is not null)
            {
                verified = _verifier.HitsMatching(gray, w, h, r);
                if (verified < Options.MinVerifierHits) continue;
            }
            result.Add(new FaceDetection(box, raw, n, verified));
        }
        return result.OrderByDescending(d => d.Box.Area).ToList();
    }

    /// <summary>
    /// How many windows of this detector's cascade, at the pyramid scales (the same 1.1 ladder) whose window is within
    /// ±30% of <paramref name="candidate"/>'s side and at every position (step 1) in a margin of half a side around
    /// it, are accepted and similar to the candidate (OpenCV's grouping test, ε = 0.2). Scans only that neighbourhood.
    /// </summary>
    private int HitsMatching(byte[] gray, int w, int h, (int X, int Y, int W, int H) candidate)
    {
        int ww = _cascade.WindowWidth, wh = _cascade.WindowHeight;
        int margin = candidate.W / 2;
        int x0 = Math.Max(candidate.X - margin, 0), y0 = Math.Max(candidate.Y - margin, 0);
        int x1 = Math.Min(candidate.X + candidate.W + margin, w), y1 = Math.Min(candidate.Y + candidate.H + margin, h);
        int cw = x1 - x0, ch = y1 - y0;
        if (cw < ww || ch < wh) return 0;
        var crop = new byte[cw * ch];
        for (int y = 0; y < ch; y++) gray.AsSpan((y0 + y) * w + x0, cw).CopyTo(crop.AsSpan(y * cw, cw));
        int hits = 0;
        for (double s = 1; ww * s <= candidate.W * 1.3; s *= Options.ScaleFactor)
        {
            if (ww * s < candidate.W / 1.3) continue;
            int sw = (int)Math.Round(cw / s), sh = (int)Math.Round(ch / s);
            if (sw < ww || sh < wh) break;
            var level = s == 1 ? crop : ResizeGray(crop, cw, ch, sw, sh);
            foreach (var (x, y) in ScanLevel(level, sw, sh, 1))
            {
                var rect = (X: (int)Math.Round(x * s) + x0, Y: (int)Math.Round(y * s) + y0, W: (int)Math.Round(ww * s), H: (int)Math.Round(wh * s));
                if (Similar(rect, candidate, 0.2)) hits++;
            }
        }
        return hits;
    }

    /// <summary>OpenCV's RGB→grey (ITU-R 601 weights, fixed point).</summary>
    internal static byte[] ToGray(RgbImage image)
    {
        var gray = new byte[image.Width * image.Height];
        var px = image.Pixels;
        for (int i = 0, p = 0; i < gray.Length; i++, p += 3)
            gray[i] = (byte)((px[p] * 4899 + px[p + 1] * 9617 + px[p + 2] * 1868 + 8192) >> 14);
        return gray;
    }

    private static byte[] ResizeGray(byte[] src, int w, int h, int dw, int dh)
    {
        // Bilinear with pixel-centre alignment (OpenCV INTER_LINEAR).
        var dst = new byte[dw * dh];
        double sx = (double)w / dw, sy = (double)h / dh;
        var x0 = new int[dw];
        var fx = new float[dw];
        for (int x = 0; x < dw; x++)
        {
            double fxs = Math.Max((x + 0.5) * sx - 0.5, 0);
            x0[x] = Math.Min((int)fxs, w - 1);
            fx[x] = (float)(fxs - x0[x]);
        }
        for (int y = 0; y < dh; y++)
        {
            double fys = Math.Max((y + 0.5) * sy - 0.5, 0);
            int y0 = Math.Min((int)fys, h - 1), y1 = Math.Min(y0 + 1, h - 1);
            float fy = (float)(fys - y0);
            int r0 = y0 * w, r1 = y1 * w;
            for (int x = 0; x < dw; x++)
            {
                int a = x0[x], b = Math.Min(a + 1, w - 1);
                float top = src[r0 + a] + (src[r0 + b] - src[r0 + a]) * fx[x];
                float bottom = src[r1 + a] + (src[r1 + b] - src[r1 + a]) * fx[x];
                dst[y * dw + x] = (byte)(top + (bottom - top) * fy + 0.5f);
            }
        }
        return dst;
    }

    private List<(int X, int Y)> ScanLevel(byte[] gray, int w, int h, int step)
    {
        int stride = w + 1;
        const int Pad = 64; // SIMD blocks at a row's end read up to 8 windows past it
        var sum = new int[stride * (h + 1) + Pad];
        // Squares wrap at 32 bits: a window's sum of squares (≤ 22²·255²) fits in an int, so its four-corner
        // difference comes out exact whatever the wrapped corners are.
        var sq = new int[stride * (h + 1) + Pad];
        unchecked
        {
            for (int y = 0; y < h; y++)
            {
                int rowSum = 0, rowSq = 0;
                for (int x = 0; x < w; x++)
                {
                    int v = gray[y * w + x];
                    rowSum += v;
                    rowSq += v * v;
                    sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + rowSum;
                    sq[(y + 1) * stride + x + 1] = sq[y * stride + x + 1] + rowSq;
                }
            }
        }
        var c = _cascade;
        int windows = (w - c.WindowWidth) / step + 1;
        var found = new List<(int, int)>();
        if (Options.Simd && Avx2.IsSupported && step is 1 or 2 && c.Simd is { } program)
        {
            ScanLevelSimd(program, sum, sq, stride, h, step, windows, found);
            return found;
        }
        var layout = c.LayoutFor(stride);
        int nw = c.WindowWidth - 2, nh = c.WindowHeight - 2;
        int n0 = stride + 1, n1 = stride + 1 + nw, n2 = (nh + 1) * stride + 1, n3 = (nh + 1) * stride + 1 + nw;
        double area = nw * nh;
        for (int y = 0; y + c.WindowHeight <= h; y += step)
        {
            for (int k = 0; k < windows; k++)
            {
                int x = k * step, p = y * stride + x;
                double s = sum[p + n0] - sum[p + n1] - sum[p + n2] + sum[p + n3];
                double s2 = unchecked(sq[p + n0] - sq[p + n1] - sq[p + n2] + sq[p + n3]);
                double nf = area * s2 - s * s;
                float inv = (float)(1.0 / (nf > 0 ? Math.Sqrt(nf) : 1.0));
                int rejectedAt = layout.Evaluate(sum, p, inv);
                if (rejectedAt < 0) found.Add((x, y));
                else if (rejectedAt == 0) k++; // OpenCV skips ahead after a first-stage reject
            }
        }
        return found;
    }

    /// <summary>
    /// A block of 8 windows is evaluated together until at most this many are alive (there 8 lanes cost what 1
    /// does, and gathered reads cost more than consecutive ones); the survivors are packed with other blocks'.
    /// </summary>
    private const int HandOffLanes = 2;

    /// <summary>
    /// <see cref="ScanLevel"/> with the cascade run on 8 windows of a row at a time (see
    /// <see cref="HaarSimdProgram.EvaluateBlock"/>) until few of them are alive; the row is then walked as OpenCV
    /// walks it (skipping the window after a first-stage reject) and the live windows it does visit are queued by
    /// the stage they have reached. The queues are finished 8 windows at a time with gathered reads
    /// (<see cref="HaarSimdProgram.RejectsAtStage"/>). Every window gets the scalar verdict, so the hits are the
    /// scalar scan's.
    /// </summary>
    private static unsafe void ScanLevelSimd(HaarSimdProgram program, int[] sum, int[] sq, int stride, int h, int step, int windows, List<(int, int)> found)
    {
        // Step 2: windows one step apart read every other int; de-interleave the integral images (even flat indices,
        // then odd ones) so those reads are consecutive again. A row start's parity picks the offset table.
        int[] sumData = sum, sqData = sq;
        var gatherOffsets = program.Offsets(stride, HaarSimdProgram.Mapping.Identity);
        int[] evenRows = gatherOffsets, oddRows = gatherOffsets;
        if (step == 2)
        {
            int half = (sum.Length + 1) / 2;
            sumData = Deinterleave(sum, half);
            sqData = Deinterleave(sq, half);
            // Window base index is p >> 1; offset o then lands in the even or the odd half.
            evenRows = program.Offsets(stride, HaarSimdProgram.Mapping.EvenRows, half);
            oddRows = program.Offsets(stride, HaarSimdProgram.Mapping.OddRows, half);
        }
        int blocks = (windows + 7) / 8;
        var inv = new float[blocks * 8];
        var verdict = new int[blocks * 8];
        var resume = new int[blocks];
        int stageCount = program.StageCount;
        int windowHeight = program.WindowHeight;
        var pending = new PendingWindows[stageCount];
        Span<int> laneOffsets = stackalloc int[8];
        Span<float> laneInv = stackalloc float[8];
        fixed (int* ps = sumData, pq = sqData, raw = sum)
        {
            for (int y = 0; y + windowHeight <= h; y += step)
            {
                int rowStart = y * stride;
                var offsets = (rowStart & 1) == 0 ? evenRows : oddRows;
                int baseIndex = step == 1 ? rowStart : rowStart >> 1;
                for (int b = 0; b < blocks; b++)
                {
                    program.EvaluateBlock(ps + baseIndex + b * 8, pq + baseIndex + b * 8, offsets, HandOffLanes, out var invB, out resume[b]).StoreUnsafe(ref verdict[b * 8]);
                    invB.StoreUnsafe(ref inv[b * 8]);
                }
                for (int k = 0; k < windows; k++)
                {
                    int x = k * step, r = resume[k >> 3], v = verdict[k];
                    if (v < r)
                    {
                        if (v == 0) k++; // OpenCV skips ahead after a first-stage reject
                    }
                    else if (r == stageCount) found.Add((x, y));
                    else (pending[r] ??= new()).Add(rowStart + x, inv[k], x, y);
                }
            }

            for (int si = 1; si < stageCount; si++)
            {
                var queue = pending[si];
                if (queue is null) continue;
                for (int i = 0; i < queue.Count; i += 8)
                {
                    int n = Math.Min(8, queue.Count - i);
                    queue.Fill(i, laneOffsets, laneInv);
                    var rejects = program.RejectsAtStage(raw, gatherOffsets, Vector256.Create<int>(laneOffsets), Vector256.Create<float>(laneInv), si);
                    int rejected = (int)rejects.ExtractMostSignificantBits();
                    for (int lane = 0; lane < n; lane++)
                    {
                        if ((rejected & (1 << lane)) != 0) continue;
                        if (si == stageCount - 1) found.Add(queue.Position(i + lane));
                        else (pending[si + 1] ??= new()).CopyFrom(queue, i + lane);
                    }
                }
            }
        }
    }

    /// <summary>Windows still alive at one stage: integral offset, 1/(σ·area) and position (lists of structs of arrays).</summary>
    private sealed class PendingWindows
    {
        private readonly List<int> _offset = [];
        private readonly List<float> _inv = [];
        private readonly List<(int, int)> _pos = [];

        public int Count => _offset.Count;

        public void Add(int offset, float inv, int x, int y)
        {
            _offset.Add(offset);
            _inv.Add(inv);
            _pos.Add((x, y));
        }

        public void CopyFrom(PendingWindows other, int i) => Add(other._offset[i], other._inv[i], other._pos[i].Item1, other._pos[i].Item2);

        public (int, int) Position(int i) => _pos[i];

        /// <summary>Offsets and 1/(σ·area) of windows i…i+7 into 8 lanes; past the last window the last one repeats.</summary>
        public void Fill(int i, Span<int> offsets, Span<float> inv)
        {
            for (int k = 0; k < 8; k++)
            {
                int j = Math.Min(i + k, _offset.Count - 1);
                offsets[k] = _offset[j];
                inv[k] = _inv[j];
            }
        }
    }

    private static int[] Deinterleave(int[] data, int half)
    {
        var result = new int[2 * half + 64];
        for (int i = 0; i < data.Length; i++) result[(i & 1) * half + (i >> 1)] = data[i];
        return result;
    }

    /// <summary>OpenCV's SimilarRects: every edge within ε × the mean of the smaller sides.</summary>
    private static bool Similar((int X, int Y, int W, int H) a, (int X, int Y, int W, int H) b, double eps)
    {
        double delta = eps * (Math.Min(a.W, b.W) + Math.Min(a.H, b.H)) * 0.5;
        return Math.Abs(a.X - b.X) <= delta && Math.Abs(a.Y - b.Y) <= delta &&
               Math.Abs(a.X + a.W - b.X - b.W) <= delta && Math.Abs(a.Y + a.H - b.Y - b.H) <= delta;
    }

    /// <summary>OpenCV's groupRectangles: cluster similar boxes, average each cluster, drop small clusters and boxes inside stronger ones.</summary>
    internal static List<((int X, int Y, int W, int H) Rect, int Count)> GroupRectangles(List<(int X, int Y, int W, int H)> rects, int threshold, double eps)
    {
        int n = rects.Count;
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (Similar(rects[i], rects[j], eps)) parent[Find(i)] = Find(j);
        var clusters = new Dictionary<int, (double X, double Y, double W, double H, int N)>();
        for (int i = 0; i < n; i++)
        {
            int root = Find(i);
            clusters.TryGetValue(root, out var acc);
            clusters[root] = (acc.X + rects[i].X, acc.Y + rects[i].Y, acc.W + rects[i].W, acc.H + rects[i].H, acc.N + 1);
        }
        var avg = clusters.Values.Select(a => ((X: (int)Math.Round(a.X / a.N), Y: (int)Math.Round(a.Y / a.N), W: (int)Math.Round(a.W / a.N), H: (int)Math.Round(a.H / a.N)), a.N)).ToList();
        var kept = new List<((int X, int Y, int W, int H), int)>();
        for (int i = 0; i < avg.Count; i++)
        {
            var (r1, n1) = avg[i];
            if (n1 <= threshold) continue;
            bool inside = false;
            for (int j = 0; j < avg.Count && !inside; j++)
            {
                var (r2, n2) = avg[j];
                if (j == i || n2 <= threshold) continue;
                int dx = (int)Math.Round(r2.W * eps), dy = (int)Math.Round(r2.H * eps);
                inside = r1.X >= r2.X - dx && r1.Y >= r2.Y - dy && r1.X + r1.W <= r2.X + r2.W + dx && r1.Y + r1.H <= r2.Y + r2.H + dy &&
                         (n2 > Math.Max(3, n1) || n1 < 3);
            }
            if (!inside) kept.Add((r1, n1));
        }
        return kept;
    }
}
