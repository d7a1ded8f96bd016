namespace Automodulator.Data.Imaging;

/// <summary>
/// Halves a square image repeatedly by 2×2 box averaging, as StyleGAN / PGGAN's dataset_tool exports its
/// multi-resolution TFRecords: each level is averaged from the unrounded level above and only then rounded to
/// 8 bits (numpy's rint: half to even). With integer block sums that is exact: level k = rint(block sum / 4^k).
/// </summary>
public static class ImagePyramid
{
    /// <summary>Levels from <paramref name="image"/>'s size down to <paramref name="minResolution"/>, largest first.</summary>
    public static IReadOnlyList<RgbImage> Build(RgbImage image, int minResolution = 4)
    {
        int r = image.Width;
        if (image.Height != r) throw new ArgumentException($"A pyramid needs a square image, got {image.Width}×{image.Height}.");
        if (!IsPowerOfTwo(r) || !IsPowerOfTwo(minResolution) || minResolution > r)
            throw new ArgumentException($"Pyramid from {r} to {minResolution}: both must be powers of two, the minimum not above the size.");
        var levels = new List<RgbImage> { image };
        // Block sums of the original, carried down so nothing is rounded twice.
        var sums = new int[image.Pixels.Length];
        for (int i = 0; i < sums.Length; i++) sums[i] = image.Pixels[i];
        int shift = 0;
        while (r > minResolution)
        {
            int h = r / 2;
            var next = new int[h * h * 3];
            for (int y = 0; y < h; y++)
            {
                int row0 = 2 * y * r * 3, row1 = (2 * y + 1) * r * 3, o = y * h * 3;
                for (int x = 0; x < h; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        int a = row0 + 6 * x + c, b = row1 + 6 * x + c;
                        next[o + 3 * x + c] = sums[a] + sums[a + 3] + sums[b] + sums[b + 3];
                    }
            }
            shift += 2;
            sums = next;
            r = h;
            var level = new RgbImage(r, r);
            for (int i = 0; i < sums.Length; i++) level.Pixels[i] = RoundHalfEven(sums[i], shift);
            levels.Add(level);
        }
        return levels;
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
