using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Alignment;

/// <summary>
/// PIL's <c>Image.transform(QUAD, BILINEAR)</c> to an intermediate size followed by <c>resize(LANCZOS)</c> to the
/// output, streamed: each band of output rows bilinearly samples only the intermediate rows its Lanczos taps read,
/// into a ring of planar float rows, and never holds the whole intermediate image. The Lanczos pass runs vertical
/// first (on the wide intermediate rows, SIMD across the row), then horizontal (on half or fewer as many rows, SIMD
/// across the taps): separable filters commute, so this equals PIL's horizontal-first order up to float rounding
/// (PIL also rounds to 8 bits between passes, which we never did).
/// </summary>
internal static class QuadWarp
{
    private const int BandRows = 128;

    public static RgbImage Warp(RgbImage source, FaceQuad quad, int size, int intermediate)
    {
        var c = quad.Corners;
        // PIL maps output pixel centre (X+0.5, Y+0.5) of an M×M image to q0 + u·(q3−q0) + v·(q1−q0), u = (X+0.5)/M;
        // the recipe passes quad + 0.5, and PIL's bilinear subtracts 0.5, so pixel-centre coordinates go straight in.
        double ux = (c[3].X - c[0].X) / intermediate, uy = (c[3].Y - c[0].Y) / intermediate;
        double vx = (c[1].X - c[0].X) / intermediate, vy = (c[1].Y - c[0].Y) / intermediate;
        var coeffs = Resampler.Coefficients(intermediate, size, 0, size, Resampler.Filter.Lanczos3);
        int stride = coeffs.Stride;
        var weights = Array.ConvertAll(coeffs.Weights, w => (float)w);
        // Horizontal taps padded to whole vectors with zero weights, so each output is a few full-width dot products.
        int vl = Vector<float>.Count;
        int taps = (stride + vl - 1) / vl * vl;
        var padded = new float[size * taps];
        for (int i = 0; i < size; i++)
            Array.Copy(weights, i * stride, padded, i * taps, coeffs.Count[i]);
        int planeLen = intermediate + taps; // room for the padded taps to read past the last sample (zeros)

        var result = new RgbImage(size, size);
        int bands = (size + BandRows - 1) / BandRows;
        Parallel.For(0, bands, band =>
        {
            int j0 = band * BandRows, j1 = Math.Min(size, j0 + BandRows);
            // Ring of sampled intermediate rows: row y lives in slot y % stride (every output row reads ≤ stride rows).
            var ring = new float[stride * 3 * intermediate];
            var acc = new float[3 * planeLen];
            int sampledUpTo = coeffs.Start[j0];
            for (int j = j0; j < j1; j++)
            {
                int start = coeffs.Start[j], count = coeffs.Count[j];
                for (; sampledUpTo < start + count; sampledUpTo++)
                {
                    int y = sampledUpTo;
                    double bx = c[0].X + (y + 0.5) * vx + 0.5 * ux, by = c[0].Y + (y + 0.5) * vy + 0.5 * uy;
                    SampleRow(source, bx, by, ux, uy, ring.AsSpan(y % stride * 3 * intermediate, 3 * intermediate), intermediate);
                }
                // Vertical: acc_ch = Σ_t w_t · row(start + t)_ch.
                for (int ch = 0; ch < 3; ch++)
                {
                    var a = acc.AsSpan(ch * planeLen, intermediate);
                    a.Clear();
                    for (int t = 0; t < count; t++)
                    {
                        int y = start + t;
                        Axpy(weights[j * stride + t], ring.AsSpan((y % stride * 3 + ch) * intermediate, intermediate), a);
                    }
                }
                // Horizontal.
                var outRow = result.Row(j);
                for (int ch = 0; ch < 3; ch++)
                {
                    var plane = acc.AsSpan(ch * planeLen, planeLen);
                    for (int i = 0; i < size; i++)
                        outRow[i * 3 + ch] = Resampler.Clip8(Dot(padded.AsSpan(i * taps, taps), plane.Slice(coeffs.Start[i], taps)));
                }
            }
        });
        return result;
    }

    /// <summary>a += w·x, SIMD.</summary>
    private static void Axpy(float w, ReadOnlySpan<float> x, Span<float> a)
    {
        int i = 0;
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var wv = new Vector<float>(w);
        for (int k = 0; k < va.Length; k++) va[k] += wv * vx[k];
        i = va.Length * Vector<float>.Count;
        for (; i < a.Length; i++) a[i] += w * x[i];
    }

    /// <summary>Dot product of two equally long spans whose length is a multiple of the vector width.</summary>
    private static float Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var s = Vector<float>.Zero;
        for (int k = 0; k < vw.Length; k++) s += vw[k] * vx[k];
        return Vector.Sum(s);
    }

    /// <summary>
    /// Bilinear samples along one intermediate row into three planes (R, G, B, each <paramref name="n"/> long); points
    /// off the image are black, as in PIL.
    /// </summary>
    private static void SampleRow(RgbImage src, double x, double y, double dx, double dy, Span<float> planes, int n)
    {
        int w = src.Width, h = src.Height, stride = w * 3;
        ref byte px = ref MemoryMarshal.GetArrayDataReference(src.Pixels);
        var r = planes[..n];
        var g = planes.Slice(n, n);
        var b = planes.Slice(2 * n, n);
        for (int i = 0; i < n; i++, x += dx, y += dy)
        {
            if (x < -0.5 || y < -0.5 || x >= w - 0.5 || y >= h - 0.5)
            {
                r[i] = g[i] = b[i] = 0;
                continue;
            }
            // x, y ≥ −0.5 here, so truncating x + 1 floors it.
            int x0 = (int)(x + 1) - 1, y0 = (int)(y + 1) - 1;
            float fx = (float)(x - x0), fy = (float)(y - y0);
            int xa = Math.Max(x0, 0) * 3, xb = Math.Min(x0 + 1, w - 1) * 3;
            int ya = Math.Max(y0, 0) * stride, yb = Math.Min(y0 + 1, h - 1) * stride;
            ref byte pa = ref Unsafe.Add(ref px, ya + xa);
            ref byte pb = ref Unsafe.Add(ref px, ya + xb);
            ref byte pc = ref Unsafe.Add(ref px, yb + xa);
            ref byte pd = ref Unsafe.Add(ref px, yb + xb);
            float top = pa + (pb - pa) * fx, bottom = pc + (pd - pc) * fx;
            r[i] = top + (bottom - top) * fy;
            top = Unsafe.Add(ref pa, 1) + (Unsafe.Add(ref pb, 1) - Unsafe.Add(ref pa, 1)) * fx;
            bottom = Unsafe.Add(ref pc, 1) + (Unsafe.Add(ref pd, 1) - Unsafe.Add(ref pc, 1)) * fx;
            g[i] = top + (bottom - top) * fy;
            top = Unsafe.Add(ref pa, 2) + (Unsafe.Add(ref pb, 2) - Unsafe.Add(ref pa, 2)) * fx;
            bottom = Unsafe.Add(ref pc, 2) + (Unsafe.Add(ref pd, 2) - Unsafe.Add(ref pc, 2)) * fx;
            b[i] = top + (bottom - top) * fy;
        }
    }
}
