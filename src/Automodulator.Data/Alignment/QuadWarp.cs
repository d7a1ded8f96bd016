using Automodulator.Data.Imaging;

namespace Automodulator.Data.Alignment;

/// <summary>
/// PIL's <c>Image.transform(QUAD, BILINEAR)</c> to an intermediate size followed by <c>resize(LANCZOS)</c> to the
/// output, streamed: each band of output rows warps only the intermediate rows its Lanczos taps read, resizes them
/// horizontally at once and never holds the whole intermediate image.
/// </summary>
internal static class QuadWarp
{
    private const int BandRows = 64;

    public static RgbImage Warp(RgbImage source, FaceQuad quad, int size, int intermediate)
    {
        var c = quad.Corners;
        // PIL maps output pixel centre (X+0.5, Y+0.5) of an M×M image to q0 + u·(q3−q0) + v·(q1−q0), u = (X+0.5)/M;
        // the recipe passes quad + 0.5, and PIL's bilinear subtracts 0.5, so pixel-centre coordinates go straight in.
        double ux = (c[3].X - c[0].X) / intermediate, uy = (c[3].Y - c[0].Y) / intermediate;
        double vx = (c[1].X - c[0].X) / intermediate, vy = (c[1].Y - c[0].Y) / intermediate;
        var coeffs = Resampler.Coefficients(intermediate, size, 0, size, Resampler.Filter.Lanczos3);
        var weights = Array.ConvertAll(coeffs.Weights, w => (float)w);
        var result = new RgbImage(size, size);
        int bands = (size + BandRows - 1) / BandRows;
        Parallel.For(0, bands, band =>
        {
            int j0 = band * BandRows, j1 = Math.Min(size, j0 + BandRows);
            int yFirst = coeffs.Start[j0], yLast = coeffs.Start[j1 - 1] + coeffs.Count[j1 - 1];
            var row = new float[intermediate * 3];
            var rows = new float[(yLast - yFirst) * size * 3];
            for (int y = yFirst; y < yLast; y++)
            {
                double bx = c[0].X + (y + 0.5) * vx + 0.5 * ux, by = c[0].Y + (y + 0.5) * vy + 0.5 * uy;
                SampleRow(source, bx, by, ux, uy, row);
                ResizeRow(row, rows.AsSpan((y - yFirst) * size * 3, size * 3), coeffs, weights);
            }
            var acc = new float[size * 3];
            for (int j = j0; j < j1; j++)
            {
                Array.Clear(acc);
                int start = coeffs.Start[j] - yFirst, k = j * coeffs.Stride;
                for (int t = 0; t < coeffs.Count[j]; t++)
                {
                    float w = weights[k + t];
                    var r = rows.AsSpan((start + t) * size * 3, size * 3);
                    var a = acc.AsSpan();
                    int x = 0;
                    if (System.Numerics.Vector.IsHardwareAccelerated)
                    {
                        var wv = new System.Numerics.Vector<float>(w);
                        int n = System.Numerics.Vector<float>.Count;
                        for (; x <= a.Length - n; x += n)
                            (new System.Numerics.Vector<float>(a[x..]) + wv * new System.Numerics.Vector<float>(r[x..])).CopyTo(a[x..]);
                    }
                    for (; x < a.Length; x++) a[x] += w * r[x];
                }
                var outRow = result.Row(j);
                for (int x = 0; x < outRow.Length; x++) outRow[x] = Resampler.Clip8(acc[x]);
            }
        });
        return result;
    }

    /// <summary>Bilinear samples along one intermediate row; points off the image are black, as in PIL.</summary>
    private static void SampleRow(RgbImage src, double x, double y, double dx, double dy, float[] row)
    {
        int w = src.Width, h = src.Height, stride = w * 3;
        var px = src.Pixels;
        int n = row.Length / 3;
        for (int i = 0; i < n; i++, x += dx, y += dy)
        {
            int o = i * 3;
            if (x < -0.5 || y < -0.5 || x >= w - 0.5 || y >= h - 0.5)
            {
                row[o] = row[o + 1] = row[o + 2] = 0;
                continue;
            }
            int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
            float fx = (float)(x - x0), fy = (float)(y - y0);
            int xa = Math.Max(x0, 0) * 3, xb = Math.Min(x0 + 1, w - 1) * 3;
            int ya = Math.Max(y0, 0) * stride, yb = Math.Min(y0 + 1, h - 1) * stride;
            for (int ch = 0; ch < 3; ch++)
            {
                float top = px[ya + xa + ch] + (px[ya + xb + ch] - px[ya + xa + ch]) * fx;
                float bottom = px[yb + xa + ch] + (px[yb + xb + ch] - px[yb + xa + ch]) * fx;
                row[o + ch] = top + (bottom - top) * fy;
            }
        }
    }

    private static void ResizeRow(float[] row, Span<float> output, Resampler.Coeffs coeffs, float[] weights)
    {
        int size = output.Length / 3;
        for (int i = 0; i < size; i++)
        {
            int start = coeffs.Start[i] * 3, k = i * coeffs.Stride, count = coeffs.Count[i];
            float r = 0, g = 0, b = 0;
            for (int t = 0; t < count; t++, start += 3)
            {
                float w = weights[k + t];
                r += w * row[start];
                g += w * row[start + 1];
                b += w * row[start + 2];
            }
            output[i * 3] = r;
            output[i * 3 + 1] = g;
            output[i * 3 + 2] = b;
        }
    }
}
