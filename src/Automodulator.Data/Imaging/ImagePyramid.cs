namespace Automodulator.Data.Imaging;

/// <summary>
/// Halves a square image repeatedly by 2×2 box averaging, as StyleGAN / PGGAN's dataset_tool exports its
/// multi-resolution TFRecords: each level is averaged from the unrounded level above and only then rounded to
/// 8 bits (numpy's rint: half to even). With integer block sums that is exact: level k = rint(block sum / 4^k).
/// </summary>
public static class ImagePyramid
{
    /// <summary>
    /// Levels from <paramref name="image"/>'s size down to <paramref name="minResolution"/>, largest first; levels
    /// above <paramref name="maxResolution"/> are averaged through but not returned (e.g. a 1024 recipe output for a
    /// 256 cache).
    /// </summary>
    public static IReadOnlyList<RgbImage> Build(RgbImage image, int minResolution = 4, int maxResolution = int.MaxValue)
    {
        int r = image.Width;
        if (image.Height != r) throw new ArgumentException($"A pyramid needs a square image, got {image.Width}×{image.Height}.");
        if (!IsPowerOfTwo(r) || !IsPowerOfTwo(minResolution) || minResolution > r)
            throw new ArgumentException($"Pyramid from {r} to {minResolution}: both must be powers of two, the minimum not above the size.");
        var levels = new List<RgbImage>();
        if (r <= maxResolution) levels.Add(image);
        if (r == minResolution) return levels;
        // Block sums of the original, carried down so nothing is rounded twice. The first step reads the bytes
        // directly; later steps add up the previous sums.
        int h = r / 2;
        var sums = new int[h * h * 3];
        var src = image.Pixels;
        for (int y = 0; y < h; y++)
        {
            var row0 = src.AsSpan(2 * y * r * 3, r * 3);
            var row1 = src.AsSpan((2 * y + 1) * r * 3, r * 3);
            var dst = sums.AsSpan(y * h * 3, h * 3);
            for (int x = 0, i = 0, o = 0; x < h; x++, i += 6, o += 3)
            {
                dst[o] = row0[i] + row0[i + 3] + row1[i] + row1[i + 3];
                dst[o + 1] = row0[i + 1] + row0[i + 4] + row1[i + 1] + row1[i + 4];
                dst[o + 2] = row0[i + 2] + row0[i + 5] + row1[i + 2] + row1[i + 5];
            }
        }
        int shift = 2;
        r = h;
        if (r <= maxResolution) levels.Add(Quantize(sums, r, shift));
        while (r > minResolution)
        {
            h = r / 2;
            var next = new int[h * h * 3];
            for (int y = 0; y < h; y++)
            {
                var row0 = sums.AsSpan(2 * y * r * 3, r * 3);
                var row1 = sums.AsSpan((2 * y + 1) * r * 3, r * 3);
                var dst = next.AsSpan(y * h * 3, h * 3);
                for (int x = 0, i = 0, o = 0; x < h; x++, i += 6, o += 3)
                {
                    dst[o] = row0[i] + row0[i + 3] + row1[i] + row1[i + 3];
                    dst[o + 1] = row0[i + 1] + row0[i + 4] + row1[i + 1] + row1[i + 4];
                    dst[o + 2] = row0[i + 2] + row0[i + 5] + row1[i + 2] + row1[i + 5];
                }
            }
            shift += 2;
            sums = next;
            r = h;
            if (r <= maxResolution) levels.Add(Quantize(sums, r, shift));
        }
        return levels;
    }

    private static RgbImage Quantize(int[] sums, int r, int shift)
    {
        var level = new RgbImage(r, r);
        var px = level.Pixels;
        int half = 1 << (shift - 1), mask = (1 << shift) - 1;
        for (int i = 0; i < sums.Length; i++)
        {
            int s = sums[i], q = s >> shift, rem = s & mask;
            // rint: round half to even.
            if (rem > half || (rem == half && (q & 1) == 1)) q++;
            px[i] = (byte)q;
        }
        return level;
    }

    /// <summary>One 2×2 box-average step with half-to-even rounding (what a test compares levels against).</summary>
    public static RgbImage Downsample2x(RgbImage image) => Build(image, image.Width / 2)[1];

    /// <summary>rint(sum / 2^shift) with ties to even, for non-negative sums.</summary>
    internal static byte RoundHalfEven(int sum, int shift)
    {
        int q = sum >> shift, rem = sum - (q << shift), half = 1 << (shift - 1);
        if (rem > half || (rem == half && (q & 1) == 1)) q++;
        return (byte)Math.Min(q, 255);
    }

    public static bool IsPowerOfTwo(int n) => n > 0 && (n & (n - 1)) == 0;
}
