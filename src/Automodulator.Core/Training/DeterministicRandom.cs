namespace Automodulator.Core.Training;

/// <summary>
/// Counter-based randomness (SplitMix64, Steele et al. 2014): every random choice is a pure function of the run seed
/// and a position (sample number, iteration, …), so the data order, mirroring and per-iteration seeds need no saved
/// generator state and a resumed run draws exactly what an unbroken one would.
/// </summary>
public static class DeterministicRandom
{
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>A 64-bit value for (seed, stream, index).</summary>
    public static ulong Hash(long seed, ulong stream, long index) => Mix(Mix(Mix((ulong)seed) ^ stream) ^ (ulong)index);

    /// <summary>A uniform integer in [0, n).</summary>
    public static int Below(int n, long seed, ulong stream, long index) => (int)(Hash(seed, stream, index) % (ulong)n);

    /// <summary>A uniform permutation of 0..n-1 (Fisher–Yates driven by the hash).</summary>
    public static int[] Permutation(int n, long seed, ulong stream, long index)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        ulong state = Hash(seed, stream, index);
        for (int i = n - 1; i > 0; i--)
        {
            state = Mix(state);
            int j = (int)(state % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>Stream identifiers, so different choices never share values.</summary>
    public static class Streams
    {
        public const ulong DataOrder = 0xD47A;
        public const ulong Mirror = 0x313F;
        public const ulong IterationSeed = 0x5EED;
        public const ulong MixLayer = 0x313A;
        public const ulong ShardNoise = 0x5A4D;
    }
}
