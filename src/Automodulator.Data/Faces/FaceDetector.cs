using System.Collections.Concurrent;
using System.Runtime.Intrinsics;
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

    /// <summary>Images whose longer side exceeds this are detected on an area-downscaled copy (boxes map back).</summary>
    public int MaxDetectionSide { get; init; } = 640;

    /// <summary>Evaluate the first stages 8 windows at a time (same verdicts; off only to check that in tests).</summary>
    internal bool Simd { get; init; } = true;
}

/// <summary>A detected face: the box handed to the landmarker (calibrated to dlib's HOG boxes) and the raw cascade box.</summary>
public readonly record struct FaceDetection(FaceBox Box, FaceBox CascadeBox, int Neighbors);

/// <summary>
/// Frontal face detection with OpenCV's Haar cascade (haarcascade_frontalface_alt2 from Debian's opencv-data) in
/// C#: an image pyramid, a 24×24 window moved as OpenCV moves it (2 pixels up to 2× scale, then 1; one more after
/// a first-stage reject), OpenCV's rectangle grouping (a 2-pixel step everywhere halved the hits and loosened the boxes). The cascade's boxes are tighter and higher than
/// the HOG boxes dlib's landmark model was trained on, so each box is mapped to a dlib-like box with a fit to dlib's
/// own detector (see <see cref="ToDlibBox"/>). Large photos are detected on a downscaled copy. Thread-safe.
/// </summary>
public sealed class FaceDetector
{
    public const string DefaultCascadePath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml";

    public static readonly string InstallHint =
        "Install Debian's opencv-data (apt-get install opencv-data), which puts the Haar cascades in /usr/share/opencv4/haarcascades/.";

    // dlib HOG box ≈ cascade box moved down and shrunk, fitted (least squares, per ratio) on the astronaut portrait and
    // its flipped, cropped, doubled and grey variants: dlib's HOG boxes from tests/tools/dlib_reference against this
    // detector's boxes. Per-photo ratios: Δcentre-y/w 0.129 0.138 0.128 0.135 0.077, side/w 0.907 0.936 0.898 0.917
    // 0.928; Δcentre-x/w averages −0.007 (mirror symmetry says 0).
    private const double CalibDx = 0.0, CalibDy = 0.121, CalibScale = 0.917;

    private static readonly ConcurrentDictionary<string, Lazy<HaarCascade>> Cascades = new();
    private readonly HaarCascade _cascade;

    public FaceDetector(HaarCascade cascade, FaceDetectorOptions? options = null)
    {
        _cascade = cascade;
        Options = options ?? new FaceDetectorOptions();
    }

    public FaceDetectorOptions Options { get; }

    /// <summary>Loads the default (or a given) cascade once per process.</summary>
    public static FaceDetector Load(string? cascadePath = null, FaceDetectorOptions? options = null)
    {
        var path = Path.GetFullPath(cascadePath ?? DefaultCascadePath);
        var cascade = Cascades.GetOrAdd(path, p => new Lazy<HaarCascade>(() => HaarCascade.Load(p))).Value;
        return new FaceDetector(cascade, options);
    }

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
        var grouped = GroupRectangles(hits.ToList(), Options.MinNeighbors, 0.2);
        var result = new List<FaceDetection>();
        foreach (var (r, n) in grouped)
        {
            var raw = FaceBox.FromXywh(r.X * scaleToOriginal, r.Y * scaleToOriginal, r.W * scaleToOriginal, r.H * scaleToOriginal);
            var box = ToDlibBox(raw);
            if (box.Width < Options.MinFaceSize) continue;
            result.Add(new FaceDetection(box, raw, n));
        }
        return result.OrderByDescending(d => d.Box.Area).ToList();
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
        var layout = c.LayoutFor(stride);
        int windows = (w - c.WindowWidth) / step + 1;
        var found = new List<(int, int)>();
        if (Options.Simd && Vector256.IsHardwareAccelerated && step is 1 or 2)
        {
            ScanLevelSimd(sum, sq, stride, h, step, windows, layout, found);
            return found;
        }
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
    /// <see cref="ScanLevel"/> with the cascade run on 8 windows of a row at a time (see
    /// <see cref="HaarCascade.SimdStages"/>); every window gets the scalar verdict, then the row is walked as OpenCV
    /// walks it (skipping the window after a first-stage reject), so the hits are the scalar scan's.
    /// </summary>
    private void ScanLevelSimd(int[] sum, int[] sq, int stride, int h, int step, int windows, HaarCascade.Layout layout, List<(int, int)> found)
    {
        var c = _cascade;
        // Step 2: windows one step apart read every other int; de-interleave the integral images (even flat indices,
        // then odd ones) so those reads are consecutive again. A row start's parity picks the offset table.
        int[] sumData = sum, sqData = sq;
        HaarCascade.SimdStages evenRows, oddRows;
        if (step == 1)
        {
            evenRows = oddRows = new HaarCascade.SimdStages(c, stride, o => o);
        }
        else
        {
            int half = (sum.Length + 1) / 2;
            sumData = Deinterleave(sum, half);
            sqData = Deinterleave(sq, half);
            // Window base index is p >> 1; offset o then lands in the even or the odd half.
            evenRows = new HaarCascade.SimdStages(c, stride, o => (o & 1) * half + (o >> 1));
            oddRows = new HaarCascade.SimdStages(c, stride, o => ((o + 1) & 1) * half + ((o + 1) >> 1));
        }
        int blocks = (windows + 7) / 8;
        var inv = new float[blocks * 8];
        var verdict = new int[blocks * 8];
        var resume = new int[blocks];
        int stageCount = c.StageCount;
        for (int y = 0; y + c.WindowHeight <= h; y += step)
        {
            int rowStart = y * stride;
            var stages = (rowStart & 1) == 0 ? evenRows : oddRows;
            int baseIndex = step == 1 ? rowStart : rowStart >> 1;
            for (int b = 0; b < blocks; b++)
            {
                stages.Evaluate(sumData, sqData, baseIndex + b * 8, out var invB, out resume[b]).StoreUnsafe(ref verdict[b * 8]);
                invB.StoreUnsafe(ref inv[b * 8]);
            }
            for (int k = 0; k < windows; k++)
            {
                int x = k * step, r = resume[k >> 3], v = verdict[k];
                int rejectedAt = v < r ? v : r == stageCount ? -1 : layout.Evaluate(sum, rowStart + x, inv[k], r);
                if (rejectedAt < 0) found.Add((x, y));
                else if (rejectedAt == 0) k++; // OpenCV skips ahead after a first-stage reject
            }
        }
    }

    private static int[] Deinterleave(int[] data, int half)
    {
        var result = new int[2 * half + 64];
        for (int i = 0; i < data.Length; i++) result[(i & 1) * half + (i >> 1)] = data[i];
        return result;
    }

    /// <summary>OpenCV's groupRectangles: cluster similar boxes, average each cluster, drop small clusters and boxes inside stronger ones.</summary>
    internal static List<((int X, int Y, int W, int H) Rect, int Count)> GroupRectangles(List<(int X, int Y, int W, int H)> rects, int threshold, double eps)
    {
        int n = rects.Count;
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
        bool Similar((int X, int Y, int W, int H) a, (int X, int Y, int W, int H) b)
        {
            double delta = eps * (Math.Min(a.W, b.W) + Math.Min(a.H, b.H)) * 0.5;
            return Math.Abs(a.X - b.X) <= delta && Math.Abs(a.Y - b.Y) <= delta &&
                   Math.Abs(a.X + a.W - b.X - b.W) <= delta && Math.Abs(a.Y + a.H - b.Y - b.H) <= delta;
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (Similar(rects[i], rects[j])) parent[Find(i)] = Find(j);
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
