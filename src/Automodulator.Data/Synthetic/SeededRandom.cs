namespace Automodulator.Data.Synthetic;

/// <summary>
/// SplitMix64: a tiny, fast generator whose sequence is fixed by this code alone (System.Random's seeded sequence
/// is an implementation detail of the runtime), so a seed names the same face on every machine and .NET version.
/// </summary>
public struct SeededRandom
{
    private ulong _state;

    public SeededRandom(ulong seed) => _state = seed;

    /// <summary>A seed derived from a base seed and an index, e.g. item i of a synthetic data set.</summary>
    public static ulong Derive(ulong seed, ulong index)
    {
        var r = new SeededRandom(seed ^ (0x9E3779B97F4A7C15UL * (index + 1)));
        r.NextUInt64();
        return r.NextUInt64();
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public float Uniform(double lo, double hi) => (float)(lo + (hi - lo) * NextDouble());
}
