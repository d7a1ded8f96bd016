using Automodulator.Hosting.Ingest;
using Microsoft.Extensions.Logging;

namespace Automodulator.Hosting.Pipelines.Steps;

/// <summary>
/// kind "ingest": a data source into a multi-resolution cache (the same pipeline as `automod ingest`).
/// Options: source (synthetic, folder, ffhq-aligned, ffhq-wild, celeba, celebahq, lsun, lsun-cars), input, json,
/// landmarks, imageList, count, seed, flipPairs, alignSize, resolution, workers, shardSize, limit, out (default: the
/// step folder). A rerun resumes after the last committed shard.
/// </summary>
public sealed class IngestStep : IPipelineStep
{
    public string Kind => "ingest";

    public StepOutcome Run(StepContext c, CancellationToken stop)
    {
        var kind = c.RequiredString("source");
        var settings = new SourceSettings
        {
            Input = c.PathOption("input"),
            Json = c.PathOption("json"),
            Landmarks = c.PathOption("landmarks"),
            ImageList = c.PathOption("imageList"),
            Count = c.Get("count", 1000L),
            Seed = (ulong)c.Get("seed", 0L),
            FlipPairs = c.Get("flipPairs", false),
            AlignSize = c.Get("alignSize", 1024),
        };
        var output = c.PathOption("out") ?? c.Folder;
        var options = new IngestOptions
        {
            Output = output,
            Resolution = c.Get("resolution", 256),
            Workers = c.Get("workers", Math.Max(1, Environment.ProcessorCount)),
            ShardSize = c.Get("shardSize", 1000),
            Limit = c.Options["limit"] is null ? null : c.Get("limit", 0L),
        };
        var source = IngestSourceFactory.Create(kind, settings);
        var lastReport = DateTime.MinValue;
        // Reported synchronously (Progress<T> would post to the thread pool and could log after the step ended).
        var progress = new SynchronousProgress<IngestProgress>(p =>
        {
            if ((DateTime.UtcNow - lastReport).TotalSeconds < 5 && p.Done < p.Total) return;
            lastReport = DateTime.UtcNow;
            c.Log.LogInformation("ingest {Done}/{Total} ({Rate:F0} items/s), kept {Kept}, rejected {Rejected}", p.Done, p.Total, p.ItemsPerSecond, p.Kept, p.Rejected);
        });
        var summary = new IngestPipeline(source, options, c.Log, progress).RunAsync(stop).GetAwaiter().GetResult();
        c.Record.Outputs["cache"] = output;
        c.Record.Outputs["items"] = summary.Manifest.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        c.Record.Outputs["rejects"] = summary.Manifest.Rejects.ToString(System.Globalization.CultureInfo.InvariantCulture);
        c.Log.LogInformation("cache {Output}: {Count} items, {Rejects} rejects ({Rate:F0} items/s this run)",
            output, summary.Manifest.Count, summary.Manifest.Rejects, summary.ItemsPerSecond);
        return summary.Stopped || !summary.Manifest.Complete ? StepOutcome.Interrupted : StepOutcome.Done;
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly object _gate = new();

        public void Report(T value)
        {
            lock (_gate) report(value);
        }
    }
}
