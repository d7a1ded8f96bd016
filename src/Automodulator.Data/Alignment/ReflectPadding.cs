using Automodulator.Data.Imaging;

namespace Automodulator.Data.Alignment;

/// <summary>
/// The FFHQ recipe's padding step, evaluated lazily: the crop reflect-padded (numpy 'reflect'), then near the padded
/// edges blended towards a Gaussian blur of itself (σ = 0.02·quad, weight clip(3·mask + 1)) and towards the padded
/// image's per-channel median (weight clip(mask)), where mask rises from 0 at the original image's edge to 1 at the
/// padded edge. <see cref="Render"/> produces any rectangle of that padded image without the rest.
/// Two shortcuts, both documented in the README: the blur runs on a grid coarsened by ⌊σ/3⌋ (a box average; the
/// remaining blur on the coarse grid makes up the variance; exact when σ &lt; 6) and is read back bilinearly, and
/// the median is taken before the blur blend (exactly, from reflection multiplicities) instead of after it.
/// </summary>
internal sealed class ReflectPadding
{
    private readonly RgbImage _crop;
    private readonly int _p0, _p1, _p2, _p3;
    private readonly double _sigma;
    private readonly float[] _median = new float[3];

    public ReflectPadding(RgbImage crop, int padLeft, int padTop, int padRight, int padBottom, double sigma)
    {
        _crop = crop;
        (_p0, _p1, _p2, _p3) = (padLeft, padTop, padRight, padBottom);
        _sigma = sigma;
        Width = crop.Width + padLeft + padRight;
        Height = crop.Height + padTop + padBottom;
        ComputeMedian();
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>numpy.pad(mode='reflect'): mirror about the edge pixel without repeating it, periodically.</summary>
    internal static int NumpyReflect(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i >= n ? period - i : i;
    }

    /// <summary>scipy.ndimage mode='reflect' (half-sample symmetric: the edge pixel repeats).</summary>
    private static int ScipyReflect(int i, int n)
    {
        int period = 2 * n;
        i %= period;
        if (i < 0) i += period;
        return i >= n ? period - 1 - i : i;
    }

    private byte Padded(int x, int y, int c) =>
        _crop.Pixels[(NumpyReflect(y - _p1, _crop.Height) * _crop.Width + NumpyReflect(x - _p0, _crop.Width)) * 3 + c];

    public RgbImage Render(int x0, int y0, int w, int h)
    {
        var result = new RgbImage(w, h);
        var colSrc = new int[w];
        var maskX = new double[w];
        for (int x = 0; x < w; x++)
        {
            int px = x0 + x;
            colSrc[x] = NumpyReflect(px - _p0, _crop.Width) * 3;
            maskX[x] = 1.0 - Math.Min((double)px / _p0, (double)(Width - 1 - px) / _p2);
        }
        var rowSrc = new int[h];
        var maskY = new double[h];
        for (int y = 0; y < h; y++)
        {
            int py = y0 + y;
            rowSrc[y] = NumpyReflect(py - _p1, _crop.Height) * _crop.Width * 3;
            maskY[y] = 1.0 - Math.Min((double)py / _p1, (double)(Height - 1 - py) / _p3);
        }
        // The blur only matters where 3·mask + 1 > 0.
        bool needBlur = maskX.Max() > -1.0 / 3 || maskY.Max() > -1.0 / 3;
        var blur = needBlur ? new CoarseBlur(this, x0, y0, w, h) : null;

        var src = _crop.Pixels;
        var dst = result.Pixels;
        Parallel.For(0, h, y =>
        {
            Span<float> b = stackalloc float[3];
            int o = y * w * 3;
            for (int x = 0; x < w; x++, o += 3)
            {
                int s = rowSrc[y] + colSrc[x];
                double mask = Math.Max(maskX[x], maskY[y]);
                if (mask <= -1.0 / 3)
                {
                    dst[o] = src[s];
                    dst[o + 1] = src[s + 1];
                    dst[o + 2] = src[s + 2];
                    continue;
                }
                double wb = Math.Clamp(mask * 3 + 1, 0, 1), wm = Math.Clamp(mask, 0, 1);
                blur!.Sample(x0 + x, y0 + y, b);
                for (int c = 0; c < 3; c++)
                {
                    double v = src[s + c];
                    v += (b[c] - v) * wb;
                    v += (_median[c] - v) * wm;
                    dst[o + c] = v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)Math.Round(v, MidpointRounding.ToEven);
                }
            }
        });
        return result;
    }

    /// <summary>np.median over the padded image per channel, from how often each crop pixel appears in it.</summary>
    private void ComputeMedian()
    {
        int cw = _crop.Width, ch = _crop.Height;
        var countX = new long[cw];
        var countY = new long[ch];
        for (int x = 0; x < Width; x++) countX[NumpyReflect(x - _p0, cw)]++;
        for (int y = 0; y < Height; y++) countY[NumpyReflect(y - _p1, ch)]++;
        var hist = new long[3 * 256];
        var px = _crop.Pixels;
        for (int y = 0; y < ch; y++)
        {
            long cy = countY[y];
            int o = y * cw * 3;
            for (int x = 0; x < cw; x++, o += 3)
            {
                long n = cy * countX[x];
                hist[px[o]] += n;
                hist[256 + px[o + 1]] += n;
                hist[512 + px[o + 2]] += n;
            }
        }
        long total = (long)Width * Height;
        long k1 = (total - 1) / 2, k2 = total / 2;
        for (int c = 0; c < 3; c++)
        {
            int v1 = -1, v2 = -1;
            long cum = 0;
            for (int v = 0; v < 256; v++)
            {
                cum += hist[c * 256 + v];
                if (v1 < 0 && cum > k1) v1 = v;
                if (v2 < 0 && cum > k2) { v2 = v; break; }
            }
            _median[c] = (v1 + v2) * 0.5f;
        }
    }

    /// <summary>
    /// scipy.ndimage.gaussian_filter(σ, truncate 4, mode 'reflect') of the padded image around a rectangle, on a grid
    /// of k×k box averages (k = ⌊σ/3⌋, at least 1) blurred by the remaining σ and sampled bilinearly.
    /// </summary>
    private sealed class CoarseBlur
    {
        private readonly int _k, _gx0, _gy0, _nx, _ny;
        private readonly float[] _grid;

        public CoarseBlur(ReflectPadding pad, int x0, int y0, int w, int h)
        {
            double sigma = pad._sigma;
            int radius = (int)(4 * sigma + 0.5);
            _k = Math.Max(1, (int)(sigma / 3));
            _gx0 = Math.Max(x0 - radius, 0);
            _gy0 = Math.Max(y0 - radius, 0);
            int gx1 = Math.Min(x0 + w + radius, pad.Width), gy1 = Math.Min(y0 + h + radius, pad.Height);
            _nx = (gx1 - _gx0 + _k - 1) / _k;
            _ny = (gy1 - _gy0 + _k - 1) / _k;
            var cells = new float[_nx * _ny * 3];
            int k = _k, nx = _nx, gx0 = _gx0, gy0 = _gy0;
            // Box averages (pixels past the padded edge mirror back, as scipy's 'reflect' does).
            var col = new int[nx * k];
            for (int i = 0; i < col.Length; i++)
                col[i] = NumpyReflect(ScipyReflect(gx0 + i, pad.Width) - pad._p0, pad._crop.Width) * 3;
            var src = pad._crop.Pixels;
            int cw3 = pad._crop.Width * 3;
            float inv = 1f / (k * k);
            Parallel.For(0, _ny, j =>
            {
                Span<float> acc = stackalloc float[3];
                for (int i = 0; i < nx; i++)
                {
                    acc.Clear();
                    for (int dy = 0; dy < k; dy++)
                    {
                        int row = NumpyReflect(ScipyReflect(gy0 + j * k + dy, pad.Height) - pad._p1, pad._crop.Height) * cw3;
                        for (int dx = 0; dx < k; dx++)
                        {
                            int s = row + col[i * k + dx];
                            acc[0] += src[s]; acc[1] += src[s + 1]; acc[2] += src[s + 2];
                        }
                    }
                    int o = (j * nx + i) * 3;
                    cells[o] = acc[0] * inv; cells[o + 1] = acc[1] * inv; cells[o + 2] = acc[2] * inv;
                }
            });
            // A k-box has variance (k²−1)/12; the coarse Gaussian supplies the rest.
            double sc = Math.Sqrt(Math.Max(sigma * sigma - (k * k - 1) / 12.0, 1e-4)) / k;
            var kernel = GaussianKernel(sc);
            var tmp = new float[cells.Length];
            Convolve(cells, tmp, _nx, _ny, kernel, horizontal: true);
            Convolve(tmp, cells, _nx, _ny, kernel, horizontal: false);
            _grid = cells;
        }

        public void Sample(int x, int y, Span<float> rgb)
        {
            double fx = Math.Clamp((x - _gx0 - (_k - 1) * 0.5) / _k, 0, _nx - 1);
            double fy = Math.Clamp((y - _gy0 - (_k - 1) * 0.5) / _k, 0, _ny - 1);
            int ix = Math.Min((int)fx, _nx - 1), iy = Math.Min((int)fy, _ny - 1);
            int ix1 = Math.Min(ix + 1, _nx - 1), iy1 = Math.Min(iy + 1, _ny - 1);
            float ax = (float)(fx - ix), ay = (float)(fy - iy);
            int a = (iy * _nx + ix) * 3, b = (iy * _nx + ix1) * 3, c = (iy1 * _nx + ix) * 3, d = (iy1 * _nx + ix1) * 3;
            for (int ch = 0; ch < 3; ch++)
            {
                float top = _grid[a + ch] + (_grid[b + ch] - _grid[a + ch]) * ax;
                float bottom = _grid[c + ch] + (_grid[d + ch] - _grid[c + ch]) * ax;
                rgb[ch] = top + (bottom - top) * ay;
            }
        }

        private static float[] GaussianKernel(double sigma)
        {
            int r = (int)(4 * sigma + 0.5);
            var kernel = new float[2 * r + 1];
            double sum = 0;
            for (int i = -r; i <= r; i++) sum += Math.Exp(-0.5 * i * i / (sigma * sigma));
            for (int i = -r; i <= r; i++) kernel[i + r] = (float)(Math.Exp(-0.5 * i * i / (sigma * sigma)) / sum);
            return kernel;
        }

        private static void Convolve(float[] src, float[] dst, int nx, int ny, float[] kernel, bool horizontal)
        {
            int r = kernel.Length / 2;
            Parallel.For(0, horizontal ? ny : nx, line =>
            {
                int n = horizontal ? nx : ny;
                for (int i = 0; i < n; i++)
                {
                    float s0 = 0, s1 = 0, s2 = 0;
                    for (int t = -r; t <= r; t++)
                    {
                        int j = ScipyReflect(i + t, n);
                        int o = (horizontal ? line * nx + j : j * nx + line) * 3;
                        float w = kernel[t + r];
                        s0 += w * src[o]; s1 += w * src[o + 1]; s2 += w * src[o + 2];
                    }
                    int d = (horizontal ? line * nx + i : i * nx + line) * 3;
                    dst[d] = s0; dst[d + 1] = s1; dst[d + 2] = s2;
                }
            });
        }
    }
}
