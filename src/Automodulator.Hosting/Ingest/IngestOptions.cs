namespace Automodulator.Hosting.Ingest;

/// <summary>How an ingest run is shaped.</summary>
public sealed record IngestOptions
{
    /// <summary>Cache folder (created, or resumed if it holds an unfinished run with the same settings).</summary>
    public required string Output { get; init; }

    /// <summary>Largest cached side R; levels 4, 8, …, R are stored.</summary>
    public required int Resolution { get; init; }

    /// <summary>Workers in the read/decode stage and, as many again, in the align/crop stage.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Source items per shard (the unit of commit and resume).</summary>
    public int ShardSize { get; init; } = 1000;

    /// <summary>This run's part k of n (`--shard k/n`): a contiguous 1/n of the source.</summary>
    public int Part { get; init; }
    public int Parts { get; init; } = 1;

    /// <summary>Only the first N items of the source (null = all).</summary>
    public long? Limit { get; init; }

    /// <summary>Items each channel holds between stages.</summary>
    public int ChannelCapacity { get; init; } = 8;

    internal void Validate()
    {
        if (Resolution < 4 || (Resolution & (Resolution - 1)) != 0) throw new ArgumentException($"Resolution {Resolution} must be a power of two ≥ 4.");
        if (Workers < 1) throw new ArgumentException("Give at least one worker.");
        if (ShardSize < 1) throw new ArgumentException("Shard size must be at least 1.");
        if (Parts < 1 || Part < 0 || Part >= Parts) throw new ArgumentException($"--shard {Part}/{Parts}: k must be in 0…n−1.");
        if (ChannelCapacity < 1) throw new ArgumentException("Channel capacity must be at least 1.");
        if (Limit is < 0) throw new ArgumentException("--limit must not be negative.");
    }

    /// <summary>Parses "k/n".</summary>
    public static (int Part, int Parts) ParseShard(string text)
    {
        var bits = text.Split('/');
        if (bits.Length != 2 || !int.TryParse(bits[0], out var k) || !int.TryParse(bits[1], out var n) || n < 1 || k < 0 || k >= n)
            throw new ArgumentException($"--shard {text}: expected k/n with 0 ≤ k < n, e.g. 0/4.");
        return (k, n);
    }
}

/// <summary>Live counters of a run.</summary>
public sealed record IngestProgress(long Done, long Total, long Kept, long Rejected, int ShardsCommitted, double ItemsPerSecond, TimeSpan? Eta, bool Stopping);

/// <summary>Where the time went, summed over the workers of each stage (seconds of work, not wall time).</summary>
public sealed record StageTimes(double ReadDecode, double AlignCrop, double Pyramid, double Write)
{
    public double Total => ReadDecode + AlignCrop + Pyramid + Write;

    public override string ToString()
    {
        double t = Math.Max(Total, 1e-9);
        return $"read+decode {100 * ReadDecode / t:F0}%, align/crop {100 * AlignCrop / t:F0}%, pyramid {100 * Pyramid / t:F0}%, write {100 * Write / t:F0}%";
    }
}

/// <summary>What a run did.</summary>
public sealed record IngestSummary(Data.Cache.CacheManifest Manifest, long Processed, long Kept, long Rejected, TimeSpan Elapsed, bool Stopped, StageTimes Stages,
    IReadOnlyDictionary<string, long> RejectReasons)
{
    public double ItemsPerSecond => Processed / Math.Max(Elapsed.TotalSeconds, 1e-9);
}
