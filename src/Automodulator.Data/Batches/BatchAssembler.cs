using Automodulator.Data.Imaging;
using Automodulator.Data.Synthetic;
using static TorchSharp.torch;

namespace Automodulator.Data.Batches;

/// <summary>
/// Builds batches from an <see cref="IImageSource"/> in a seeded order (a fresh permutation every epoch), applying
/// mirror augmentation, fade-in blending and flip pairs. Not thread-safe: one assembler per producer thread
/// (<see cref="BatchPrefetcher"/> runs one on its background thread).
/// </summary>
public sealed class BatchAssembler
{
    private readonly IImageSource _source;
    private readonly BatchOptions _options;
    private SeededRandom _random;
    private int[] _order = [];
    private int _cursor;
    private long _step;

    public BatchAssembler(IImageSource source, BatchOptions options)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _options = options;
        if (options.FlipPairShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), $"Flip-pair share {options.FlipPairShare} is outside 0..1.");
        if (!source.CanMirror && (options.FlipPairShare > 0 || options.MirrorAugment))
            throw new ArgumentException("This source's images may not be mirrored (e.g. LSUN): set mirror augmentation off and the flip-pair share to 0.");
        if (source.Count == 0) throw new ArgumentException("The image source is empty.");
        _random = new SeededRandom(options.Seed);
    }

    /// <summary>The next batch of the sequence for <paramref name="request"/>.</summary>
    public ImageBatch Next(BatchRequest request)
    {
        int b = request.BatchSize, r = request.Resolution;
        if (b <= 0) throw new ArgumentOutOfRangeException(nameof(request), $"Batch size {b} must be positive.");
        if (!ImagePyramid.IsPowerOfTwo(r) || r < 4) throw new ArgumentOutOfRangeException(nameof(request), $"Resolution {r} must be a power of two ≥ 4.");
        double alpha = Math.Clamp(request.Alpha, 0, 1);
        bool blend = alpha < 1 && r > 4;
        int plane = r * r, per = 3 * plane;
        var data = new float[b * per];
        var indices = new int[b];
        for (int i = 0; i < b; i++)
        {
            int index = NextIndex();
            indices[i] = index;
            bool mirror = _options.MirrorAugment && (_random.NextUInt64() & 1) == 1;
            var hi = _source.Get(index, r);
            var lo = blend ? _source.Get(index, r / 2) : null;
            Fill(data.AsSpan(i * per, per), hi, lo, r, alpha, mirror);
        }
        int pairs = (int)Math.Round(_options.FlipPairShare * b);
        Tensor? flips = null;
        if (pairs > 0)
        {
            var mirrored = new float[pairs * per];
            for (int i = 0; i < pairs; i++)
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < r; y++)
                    {
                        var src = data.AsSpan(i * per + c * plane + y * r, r);
                        var dst = mirrored.AsSpan(i * per + c * plane + y * r, r);
                        for (int x = 0; x < r; x++) dst[x] = src[r - 1 - x];
                    }
            flips = tensor(mirrored, [pairs, 3, r, r]);
        }
        return new ImageBatch(tensor(data, [b, 3, r, r]), flips) { Step = _step++, Alpha = blend ? alpha : 1, Indices = indices };
    }

    private int NextIndex()
    {
        if (_cursor >= _order.Length)
        {
            // A new epoch: Fisher–Yates with the seeded generator, so the order is reproducible.
            if (_order.Length != _source.Count) _order = new int[_source.Count];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            for (int i = _order.Length - 1; i > 0; i--)
            {
                int j = (int)(_random.NextUInt64() % (ulong)(i + 1));
                (_order[i], _order[j]) = (_order[j], _order[i]);
            }
            _cursor = 0;
        }
        return _order[_cursor++];
    }

    /// <summary>Interleaved bytes to planar floats in [−1, 1], with the optional fade-in blend and mirror.</summary>
    private static void Fill(Span<float> dst, RgbImage hi, RgbImage? lo, int r, double alpha, bool mirror)
    {
        if (hi.Width != r || hi.Height != r) throw new InvalidOperationException($"The source returned {hi.Width}×{hi.Height} for resolution {r}.");
        int plane = r * r;
        float a = (float)alpha, k = 1f / 127.5f;
        var p = hi.Pixels;
        var q = lo?.Pixels;
        int h = r / 2;
        for (int y = 0; y < r; y++)
            for (int x = 0; x < r; x++)
            {
                int sx = mirror ? r - 1 - x : x;
                int s = (y * r + sx) * 3, d = y * r + x;
                for (int c = 0; c < 3; c++)
                {
                    float v = p[s + c] * k - 1;
                    if (q is not null)
                    {
                        float u = q[((y >> 1) * h + (sx >> 1)) * 3 + c] * k - 1;
                        v = a * v + (1 - a) * u;
                    }
                    dst[c * plane + d] = v;
                }
            }
    }
}
