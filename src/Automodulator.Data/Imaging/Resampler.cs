namespace Automodulator.Data.Imaging;

/// <summary>
/// Separable resizing with PIL's conventions (<c>Image.resize</c>): output pixel i is centred at input
/// (i + 0.5)·scale, the filter is stretched by the scale when shrinking (antialiasing), the horizontal pass runs first
/// and each pass rounds to 8 bits. Lanczos-3 is PIL's ANTIALIAS/LANCZOS, the filter the FFHQ recipe resizes with.
/// A region of the output can be computed alone, which is how the aligner avoids resizing whole photos.
/// </summary>
public static class Resampler
{
    public enum Filter { Box, Bilinear, Lanczos3 }

    public static RgbImage Resize(RgbImage source, int width, int height, Filter filter = Filter.Lanczos3) =>
        ResizeRegion(source, width, height, 0, 0, width, height, filter);

    /// <summary>
    /// The rectangle [x0, x0+w) × [y0, y0+h) of <paramref name="source"/> resized to <paramref name="outWidth"/> ×
    /// <paramref name="outHeight"/>, computed without the rest of the output.
    /// </summary>
    public static RgbImage ResizeRegion(RgbImage source, int outWidth, int outHeight, int x0, int y0, int w, int h, Filter filter = Filter.Lanczos3)
    {
        if (outWidth <= 0 || outHeight <= 0) throw new ArgumentOutOfRangeException(nameof(outWidth), "Output size must be positive.");
        if (x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + w > outWidth || y0 + h > outHeight)
            throw new ArgumentOutOfRangeException(nameof(x0), $"Region {x0},{y0} {w}×{h} is not inside {outWidth}×{outHeight}.");
        var cx = Coefficients(source.Width, outWidth, x0, w, filter);
        var cy = Coefficients(source.Height, outHeight, y0, h, filter);
        int yFirst = cy.Start[0], yLast = cy.Start[h - 1] + cy.Count[h - 1];
        int rows = yLast - yFirst;

        // Horizontal pass over the input rows the vertical pass will read.
        var mid = new byte[rows * w * 3];
        var src = source.Pixels;
        int sw = source.Width;
        Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, r =>
        {
            int rowBase = (yFirst + r) * sw * 3;
            int outBase = r * w * 3;
            for (int i = 0; i < w; i++)
            {
                int start = cx.Start[i], count = cx.Count[i], k = i * cx.Stride;
                double sr = 0, sg = 0, sb = 0;
                for (int t = 0; t < count; t++)
                {
                    double c = cx.Weights[k + t];
                    int p = rowBase + (start + t) * 3;
                    sr += c * src[p];
                    sg += c * src[p + 1];
                    sb += c * src[p + 2];
                }
                mid[outBase + i * 3] = Clip8(sr);
                mid[outBase + i * 3 + 1] = Clip8(sg);
                mid[outBase + i * 3 + 2] = Clip8(sb);
            }
        });

        var result = new RgbImage(w, h);
        var dst = result.Pixels;
        int rowLen = w * 3;
        Parallel.For(0, h, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, j =>
        {
            int start = cy.Start[j] - yFirst, count = cy.Count[j], k = j * cy.Stride;
            Span<double> acc = rowLen <= 4096 ? stackalloc double[rowLen] : new double[rowLen];
            acc.Clear();
            for (int t = 0; t < count; t++)
            {
                double c = cy.Weights[k + t];
                var row = mid.AsSpan((start + t) * rowLen, rowLen);
                for (int x = 0; x < rowLen; x++) acc[x] += c * row[x];
            }
            var outRow = dst.AsSpan(j * rowLen, rowLen);
            for (int x = 0; x < rowLen; x++) outRow[x] = Clip8(acc[x]);
        });
        return result;
    }

    /// <summary>
    /// Averages <paramref name="factor"/>×<paramref name="factor"/> blocks (partial blocks at the right and bottom
    /// edges average what they hold); the output is ceil(size / factor).
    /// </summary>
    public static RgbImage DownscaleByInteger(RgbImage source, int factor)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor));
        if (factor == 1) return source;
        int w = (source.Width + factor - 1) / factor, h = (source.Height + factor - 1) / factor;
        var result = new RgbImage(w, h);
        var src = source.Pixels;
        var dst = result.Pixels;
        int sw = source.Width, sh = source.Height;
        Parallel.For(0, h, j =>
        {
            Span<int> acc = stackalloc int[3];
            int yEnd = Math.Min(sh, (j + 1) * factor);
            for (int i = 0; i < w; i++)
            {
                acc.Clear();
                int xEnd = Math.Min(sw, (i + 1) * factor), n = 0;
                for (int y = j * factor; y < yEnd; y++)
                    for (int x = i * factor; x < xEnd; x++, n++)
                    {
                        int p = (y * sw + x) * 3;
                        acc[0] += src[p];
                        acc[1] += src[p + 1];
                        acc[2] += src[p + 2];
                    }
                int q = (j * w + i) * 3;
                dst[q] = (byte)((acc[0] + n / 2) / n);
                dst[q + 1] = (byte)((acc[1] + n / 2) / n);
                dst[q + 2] = (byte)((acc[2] + n / 2) / n);
            }
        });
        return result;
    }

    internal static byte Clip8(double v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)Math.Round(v, MidpointRounding.AwayFromZero);

    internal static double Lanczos3(double x)
    {
        if (x <= -3 || x >= 3) return 0;
        return Sinc(x) * Sinc(x / 3);
    }

    private static double Sinc(double x)
    {
        if (x == 0) return 1;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static (double Support, Func<double, double> Kernel) FilterOf(Filter f) => f switch
    {
        Filter.Box => (0.5, x => x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
        Filter.Bilinear => (1.0, x => Math.Max(0, 1 - Math.Abs(x))),
        _ => (3.0, Lanczos3),
    };

    internal sealed record Coeffs(int[] Start, int[] Count, double[] Weights, int Stride);

    /// <summary>PIL's <c>precompute_coeffs</c> for output indices [first, first+count) of a resize inSize → outSize.</summary>
    internal static Coeffs Coefficients(int inSize, int outSize, int first, int count, Filter filter)
    {
        var (baseSupport, kernel) = FilterOf(filter);
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = baseSupport * filterScale;
        int stride = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[count];
        var n = new int[count];
        var weights = new double[count * stride];
        double ss = 1.0 / filterScale;
        for (int i = 0; i < count; i++)
        {
            double center = (first + i + 0.5) * scale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double total = 0;
            for (int x = 0; x < xmax; x++)
            {
                double wgt = kernel((x + xmin - center + 0.5) * ss);
                weights[i * stride + x] = wgt;
                total += wgt;
            }
            if (total != 0)
                for (int x = 0; x < xmax; x++) weights[i * stride + x] /= total;
            start[i] = xmin;
            n[i] = xmax;
        }
        return new Coeffs(start, n, weights, stride);
    }
}
