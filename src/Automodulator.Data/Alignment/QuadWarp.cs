using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Alignment;

/// <summary>
/// PIL's <c>Image.transform(QUAD, BILINEAR)</c> to an intermediate size followed by <c>resize(LANCZOS)</c> to the
/// output, streamed: each band of output rows bilinearly samples only the intermediate rows its Lanczos taps read,
/// into a ring of planar float rows, and never holds the whole intermediate image. The Lanczos pass runs vertical
/// first (on the wide intermediate rows, SIMD across the row), then horizontal (on half or fewer as many rows):
/// separable filters commute, so this equals PIL's horizontal-first order up to float rounding (PIL also rounds to
/// 8 bits between passes, which we never did).
/// <para>
/// Speed: the bilinear samples are taken 8 at a time (AVX2 gathers of whole RGB pixels). When the intermediate is
/// P times the output (the aligner's fast path always makes it so), every output pixel away from the edges has the
/// same P-periodic Lanczos weights; each intermediate row is then sampled phase by phase (columns P·k + φ into
/// plane φ), so the horizontal pass becomes 8 outputs per vector instruction over consecutive floats. Edge pixels,
/// and intermediates that are not a multiple of the output, take the per-pixel tap loop.
/// </para>
/// </summary>
internal static class QuadWarp
{


    public static RgbImage Warp(RgbImage source, FaceQuad quad, int size, int intermediate, bool simd = true)
    {
        var c = quad.Corners;
        // PIL maps output pixel centre (X+0.5, Y+0.5) of an M×M image to q0 + u·(q3−q0) + v·(q1−q0), u = (X+0.5)/M;
        // the recipe passes quad + 0.5, and PIL's bilinear subtracts 0.5, so pixel-centre coordinates go straight in.
        double ux = (c[3].X - c[0].X) / intermediate, uy = (c[3].Y - c[0].Y) / intermediate;
        double vx = (c[1].X - c[0].X) / intermediate, vy = (c[1].Y - c[0].Y) / intermediate;
        var coeffs = Resampler.Coefficients(intermediate, size, 0, size, Resampler.Filter.Lanczos3);
        int stride = coeffs.Stride;
        var weights = Array.ConvertAll(coeffs.Weights, w => (float)w);
        var rows = new RowLayout(intermediate, size);
        var horizontal = new HorizontalPass(coeffs, weights, rows, size);

        var result = new RgbImage(size, size);
        // A few bands per core for balance; each band samples its first rows' taps anew, so not many more.
        int bandRows = Math.Max(32, (size + 4 * Environment.ProcessorCount - 1) / (4 * Environment.ProcessorCount));
        int bands = (size + bandRows - 1) / bandRows;
        Parallel.For(0, bands, band =>
        {
            int j0 = band * bandRows, j1 = Math.Min(size, j0 + bandRows);
            // Ring of sampled intermediate rows: row y lives in slot y % stride (every output row reads ≤ stride rows).
            // Pooled: every element read is written first (pads only ever reach pads).
            var ring = ArrayPool<float>.Shared.Rent(stride * rows.Length);
            var acc = ArrayPool<float>.Shared.Rent(rows.Length);
            var outPlanes = ArrayPool<float>.Shared.Rent(3 * size);
            Span<int> slot = stackalloc int[stride];
            int sampledUpTo = coeffs.Start[j0];
            for (int j = j0; j < j1; j++)
            {
                int start = coeffs.Start[j], count = coeffs.Count[j];
                for (; sampledUpTo < start + count; sampledUpTo++)
                {
                    int y = sampledUpTo;
                    double bx = c[0].X + (y + 0.5) * vx + 0.5 * ux, by = c[0].Y + (y + 0.5) * vy + 0.5 * uy;
                    SampleRow(source, bx, by, ux, uy, ring.AsSpan(y % stride * rows.Length, rows.Length), rows, simd);
                }
                // Vertical: acc = Σ_t w_t · row(start + t), all channels and phases at once.
                for (int t = 0; t < count; t++) slot[t] = (start + t) % stride * rows.Length;
                Vertical(ring, slot[..count], weights.AsSpan(j * stride, count), acc, rows.Length);
                horizontal.Run(acc, outPlanes);
                StoreRgb(outPlanes, size, result.Row(j));
            }
            ArrayPool<float>.Shared.Return(ring);
            ArrayPool<float>.Shared.Return(acc);
            ArrayPool<float>.Shared.Return(outPlanes);
        });
        return result;
    }

    /// <summary>
    /// Where the samples of one intermediate row go: per channel <see cref="Phases"/> planes of
    /// <see cref="PlaneLength"/> floats; column X of the intermediate lives in plane X mod P at X div P.
    /// </summary>
    internal sealed class RowLayout
    {
        public RowLayout(int intermediate, int size)
        {
            Width = intermediate;
            Phases = intermediate % size == 0 ? intermediate / size : 1;
            Samples = intermediate / Phases;
            PlaneLength = (Samples + 7) / 8 * 8;
            Length = 3 * Phases * PlaneLength;
        }

        public int Width { get; }
        public int Phases { get; }
        /// <summary>Samples per plane (the output size when P &gt; 1).</summary>
        public int Samples { get; }
        public int PlaneLength { get; }
        public int Length { get; }

        public int Index(int channel, int x) => (channel * Phases + x % Phases) * PlaneLength + x / Phases;
    }

    /// <summary>acc[k] = Σ_t w_t · ring[slot_t + k], 8 floats at a time (the row length is a multiple of 8).</summary>
    private static void Vertical(float[] ring, ReadOnlySpan<int> slot, ReadOnlySpan<float> w, float[] acc, int length)
    {
        ref float r = ref MemoryMarshal.GetArrayDataReference(ring);
        ref float a = ref MemoryMarshal.GetArrayDataReference(acc);
        int n = slot.Length;
        for (int k = 0; k < length; k += 8)
        {
            var s = Vector256<float>.Zero;
            for (int t = 0; t < n; t++)
                s += Vector256.Create(w[t]) * Vector256.LoadUnsafe(ref r, (nuint)(slot[t] + k));
            s.StoreUnsafe(ref a, (nuint)k);
        }
    }

    /// <summary>
    /// The horizontal Lanczos pass over one vertically filtered row: outputs whose taps follow the interior's
    /// periodic pattern 8 at a time, the rest (edges, or every output when there is one phase) tap by tap.
    /// </summary>
    private sealed class HorizontalPass
    {
        private readonly Resampler.Coeffs _coeffs;
        private readonly float[] _weights;
        private readonly RowLayout _rows;
        private readonly int _size;
        // The periodic interior [_lo, _hi): tap t reads plane _tapPhase[t] at output index + _tapShift[t].
        private readonly int _lo, _hi;
        private readonly float[] _tapWeight = [];
        private readonly int[] _tapPhase = [], _tapShift = [];

        public HorizontalPass(Resampler.Coeffs coeffs, float[] weights, RowLayout rows, int size)
        {
            _coeffs = coeffs;
            _weights = weights;
            _rows = rows;
            _size = size;
            int p = rows.Phases;
            if (p == 1) return;
            int mid = size / 2, n = coeffs.Count[mid], offset = coeffs.Start[mid] - p * mid;
            bool Regular(int i) =>
                coeffs.Count[i] == n && coeffs.Start[i] == p * i + offset &&
                weights.AsSpan(i * coeffs.Stride, n).SequenceEqual(weights.AsSpan(mid * coeffs.Stride, n));
            _lo = mid;
            while (_lo > 0 && Regular(_lo - 1)) _lo--;
            _hi = mid + 1;
            while (_hi < size && Regular(_hi)) _hi++;
            _tapWeight = weights.AsSpan(mid * coeffs.Stride, n).ToArray();
            _tapPhase = new int[n];
            _tapShift = new int[n];
            for (int t = 0; t < n; t++)
            {
                _tapPhase[t] = ((offset + t) % p + p) % p;
                _tapShift[t] = (int)Math.Floor((offset + t) / (double)p);
            }
        }

        /// <summary>Filters <paramref name="acc"/> (a row in <see cref="RowLayout"/>) into three planes of <c>size</c> floats.</summary>
        public void Run(float[] acc, float[] outPlanes)
        {
            int vectorEnd = _lo;
            if (_tapWeight.Length > 0)
            {
                ref float a = ref MemoryMarshal.GetArrayDataReference(acc);
                ref float o = ref MemoryMarshal.GetArrayDataReference(outPlanes);
                int planeLength = _rows.PlaneLength, phases = _rows.Phases;
                for (int ch = 0; ch < 3; ch++)
                {
                    int chBase = ch * phases * planeLength;
                    for (int i = _lo; i + 8 <= _hi; i += 8)
                    {
                        var s = Vector256<float>.Zero;
                        for (int t = 0; t < _tapWeight.Length; t++)
                            s += Vector256.Create(_tapWeight[t]) * Vector256.LoadUnsafe(ref a, (nuint)(chBase + _tapPhase[t] * planeLength + i + _tapShift[t]));
                        s.StoreUnsafe(ref o, (nuint)(ch * _size + i));
                    }
                }
                vectorEnd = _lo + (_hi - _lo) / 8 * 8;
            }
            for (int i = 0; i < _size; i++)
            {
                if (i >= _lo && i < vectorEnd) continue;
                int start = _coeffs.Start[i], count = _coeffs.Count[i], k = i * _coeffs.Stride;
                for (int ch = 0; ch < 3; ch++)
                {
                    float s = 0;
                    for (int t = 0; t < count; t++) s += _weights[k + t] * acc[_rows.Index(ch, start + t)];
                    outPlanes[ch * _size + i] = s;
                }
            }
        }
    }

    /// <summary>Three float planes → one interleaved 8-bit row, rounded half away from zero and clipped (PIL's clip8).</summary>
    private static void StoreRgb(float[] planes, int size, Span<byte> row)
    {
        Span<int> q = stackalloc int[24];
        ref float f = ref MemoryMarshal.GetArrayDataReference(planes);
        int i = 0;
        for (; i + 8 <= size; i += 8)
        {
            for (int ch = 0; ch < 3; ch++)
                Vector256.ConvertToInt32(Vector256.Floor(Vector256.Min(Vector256.Max(Vector256.LoadUnsafe(ref f, (nuint)(ch * size + i)), Vector256<float>.Zero), Vector256.Create(255f)) + Vector256.Create(0.5f)))
                    .StoreUnsafe(ref q[ch * 8]);
            var o = row.Slice(i * 3, 24);
            for (int k = 0; k < 8; k++)
            {
                o[k * 3] = (byte)q[k];
                o[k * 3 + 1] = (byte)q[8 + k];
                o[k * 3 + 2] = (byte)q[16 + k];
            }
        }
        for (; i < size; i++)
        {
            row[i * 3] = Clip8(planes[i]);
            row[i * 3 + 1] = Clip8(planes[size + i]);
            row[i * 3 + 2] = Clip8(planes[2 * size + i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clip8(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(int)MathF.Floor(v + 0.5f);

    /// <summary>
    /// Bilinear samples along one intermediate row (column X at (x, y) + X·(dx, dy)) into <paramref name="row"/>
    /// laid out by <paramref name="layout"/>; points off the image are black, as in PIL.
    /// </summary>
    private static void SampleRow(RgbImage src, double x, double y, double dx, double dy, Span<float> row, RowLayout layout, bool simd)
    {
        int p = layout.Phases;
        for (int phase = 0; phase < p; phase++)
        {
            int n = (layout.Width - phase + p - 1) / p;
            var r = row.Slice(phase * layout.PlaneLength, n);
            var g = row.Slice((p + phase) * layout.PlaneLength, n);
            var b = row.Slice((2 * p + phase) * layout.PlaneLength, n);
            double px = x + phase * dx, py = y + phase * dy;
            if (simd && Avx2.IsSupported) SampleLineAvx2(src, px, py, p * dx, p * dy, r, g, b);
            else SampleLine(src, px, py, p * dx, p * dy, r, g, b);
        }
    }

    /// <summary>Bilinear samples at (x + k·dx, y + k·dy), k = 0…n−1, one at a time.</summary>
    private static void SampleLine(RgbImage src, double x0, double y0, double dx, double dy, Span<float> r, Span<float> g, Span<float> b)
    {
        int w = src.Width, h = src.Height, stride = w * 3;
        var px = src.Pixels;
        for (int i = 0; i < r.Length; i++)
        {
            double x = x0 + i * dx, y = y0 + i * dy;
            if (x < -0.5 || y < -0.5 || x >= w - 0.5 || y >= h - 0.5)
            {
                r[i] = g[i] = b[i] = 0;
                continue;
            }
            int xf = (int)Math.Floor(x), yf = (int)Math.Floor(y);
            float fx = (float)(x - xf), fy = (float)(y - yf);
            int xa = Math.Max(xf, 0) * 3, xb = Math.Min(xf + 1, w - 1) * 3;
            int ya = Math.Max(yf, 0) * stride, yb = Math.Min(yf + 1, h - 1) * stride;
            r[i] = Lerp2(px[ya + xa], px[ya + xb], px[yb + xa], px[yb + xb], fx, fy);
            g[i] = Lerp2(px[ya + xa + 1], px[ya + xb + 1], px[yb + xa + 1], px[yb + xb + 1], fx, fy);
            b[i] = Lerp2(px[ya + xa + 2], px[ya + xb + 2], px[yb + xa + 2], px[yb + xb + 2], fx, fy);
        }
    }

    private static float Lerp2(int a, int b, int c, int d, float fx, float fy)
    {
        float top = a + (b - a) * fx, bottom = c + (d - c) * fx;
        return top + (bottom - top) * fy;
    }

    /// <summary>
    /// <see cref="SampleLine"/> 8 samples at a time: each corner pixel's R, G, B fetched with one 32-bit gather that
    /// starts a byte early (the byte before a pixel always exists: the array's length field precedes its first
    /// pixel), then the same float arithmetic per channel. Positions are float offsets from a double base per
    /// 8 samples (under 10⁻³ pixel apart from the scalar code's doubles).
    /// </summary>
    private static unsafe void SampleLineAvx2(RgbImage src, double x0, double y0, double dx, double dy, Span<float> r, Span<float> g, Span<float> b)
    {
        int w = src.Width, h = src.Height, stride = w * 3, n = r.Length;
        var laneX = Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create((float)dx);
        var laneY = Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create((float)dy);
        var half = Vector256.Create(-0.5f);
        var xMax = Vector256.Create(w - 0.5f);
        var yMax = Vector256.Create(h - 0.5f);
        var lastX = Vector256.Create(w - 1);
        var lastY = Vector256.Create(h - 1);
        // Floors in [0, w − 2] × [0, h − 2] (as unsigned: negatives wrap above) have both corners in the image.
        var innerX = Vector256.Create((uint)Math.Max(w - 2, 0));
        var innerY = Vector256.Create((uint)Math.Max(h - 2, 0));
        var three = Vector256.Create(3);
        var rowBytes = Vector256.Create(stride);
        var byteMask = Vector256.Create(0xFF);
        Span<float> tail = stackalloc float[24];
        fixed (byte* pixels = src.Pixels)
        {
            int* basePtr = (int*)(pixels - 1);
            for (int k = 0; k < n; k += 8)
            {
                var x = Vector256.Create((float)(x0 + k * dx)) + laneX;
                var y = Vector256.Create((float)(y0 + k * dy)) + laneY;
                var xFloor = Vector256.Floor(x);
                var yFloor = Vector256.Floor(y);
                var fx = x - xFloor;
                var fy = y - yFloor;
                var xf = Vector256.ConvertToInt32(xFloor);
                var yf = Vector256.ConvertToInt32(yFloor);
                Vector256<int> xa, xb, ya, yb, outside;
                if (Vector256.LessThanOrEqualAll(xf.AsUInt32(), innerX) && Vector256.LessThanOrEqualAll(yf.AsUInt32(), innerY))
                {
                    // All 8 samples have their 4 corners inside (the usual case): no clamping, nothing black.
                    xa = xf * three;
                    xb = xa + three;
                    ya = yf * rowBytes;
                    yb = ya + rowBytes;
                    outside = Vector256<int>.Zero;
                }
                else
                {
                    outside = (Vector256.LessThan(x, half) | Vector256.LessThan(y, half) | Vector256.GreaterThanOrEqual(x, xMax) | Vector256.GreaterThanOrEqual(y, yMax)).AsInt32();
                    // Clamped corner addresses (far-off samples clamp too, so every gather stays inside the image).
                    xa = Vector256.Min(Vector256.Max(xf, Vector256<int>.Zero), lastX) * three;
                    xb = Vector256.Min(Vector256.Max(xf + Vector256<int>.One, Vector256<int>.Zero), lastX) * three;
                    ya = Vector256.Min(Vector256.Max(yf, Vector256<int>.Zero), lastY) * rowBytes;
                    yb = Vector256.Min(Vector256.Max(yf + Vector256<int>.One, Vector256<int>.Zero), lastY) * rowBytes;
                }
                var pa = Avx2.GatherVector256(basePtr, ya + xa, 1);
                var pb = Avx2.GatherVector256(basePtr, ya + xb, 1);
                var pc = Avx2.GatherVector256(basePtr, yb + xa, 1);
                var pd = Avx2.GatherVector256(basePtr, yb + xb, 1);
                var vr = Channel(pa, pb, pc, pd, 8, byteMask, fx, fy, outside);
                var vg = Channel(pa, pb, pc, pd, 16, byteMask, fx, fy, outside);
                var vb = Channel(pa, pb, pc, pd, 24, byteMask, fx, fy, outside);
                if (k + 8 <= n)
                {
                    vr.StoreUnsafe(ref MemoryMarshal.GetReference(r), (nuint)k);
                    vg.StoreUnsafe(ref MemoryMarshal.GetReference(g), (nuint)k);
                    vb.StoreUnsafe(ref MemoryMarshal.GetReference(b), (nuint)k);
                }
                else
                {
                    vr.StoreUnsafe(ref tail[0]);
                    vg.StoreUnsafe(ref tail[8]);
                    vb.StoreUnsafe(ref tail[16]);
                    int m = n - k;
                    tail[..m].CopyTo(r[k..]);
                    tail.Slice(8, m).CopyTo(g[k..]);
                    tail.Slice(16, m).CopyTo(b[k..]);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Channel(Vector256<int> pa, Vector256<int> pb, Vector256<int> pc, Vector256<int> pd, byte shift,
        Vector256<int> mask, Vector256<float> fx, Vector256<float> fy, Vector256<int> outside)
    {
        var a = Vector256.ShiftRightLogical(pa, shift) & mask;
        var b = Vector256.ShiftRightLogical(pb, shift) & mask;
        var c = Vector256.ShiftRightLogical(pc, shift) & mask;
        var d = Vector256.ShiftRightLogical(pd, shift) & mask;
        var top = Vector256.ConvertToSingle(a) + Vector256.ConvertToSingle(b - a) * fx;
        var bottom = Vector256.ConvertToSingle(c) + Vector256.ConvertToSingle(d - c) * fx;
        var v = top + (bottom - top) * fy;
        return Vector256.AndNot(v, outside.AsSingle());
    }
}
