using System.Diagnostics;
using Automodulator.Data.Imaging;
using Automodulator.Data.Ingest;
using Automodulator.Data.Ingest.Sources;
using Automodulator.Hosting.Ingest;

namespace Automodulator.Hosting.Bench;

/// <summary>One measured configuration.</summary>
public sealed record IngestBenchResult(string Input, string Recipe, int Workers, int Items, double Seconds, double ItemsPerSecond, StageTimes? Stages)
{
    public double MillisecondsPerItemPerWorker => Seconds * 1000 * Workers / Math.Max(Items, 1);
}

/// <summary>
/// Measures ingest throughput into a 4…R cache: a decode-only baseline (the same files, decoded and nothing else),
/// the aligned-PNG path (decode + pyramid) and the FFHQ in-the-wild recipe (decode + align + pyramid), each with the
/// given worker counts, in the same process and run.
/// </summary>
public static class IngestBenchmark
{
    public static IReadOnlyList<IngestBenchResult> Run(string? alignedDir, string? wildRoot, string workDir, int resolution, IReadOnlyList<int> workers, Action<string>? log = null)
    {
        var results = new List<IngestBenchResult>();
        if (alignedDir is not null)
        {
            var files = Directory.EnumerateFiles(alignedDir, "*", SearchOption.AllDirectories)
                .Where(f => ImageFolderSource.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToArray();
            foreach (var w in workers) results.Add(DecodeOnly("aligned", files, w));
            foreach (var w in workers)
            {
                using var source = new ImageFolderSource(alignedDir, alreadyAligned: true, kind: "ffhq-aligned");
                results.Add(Ingest("aligned", "create_from_images (decode + pyramid)", source, Path.Combine(workDir, $"aligned-w{w}"), resolution, w));
                log?.Invoke(Describe(results[^1]));
            }
        }
        if (wildRoot is not null)
        {
            var json = Path.Combine(wildRoot, "ffhq-dataset-v2.json");
            using (var probe = new FfhqWildSource(json, wildRoot))
            {
                var files = probe.Enumerate(0, probe.Count).Select(probe.PhotoPath).OfType<string>().Where(File.Exists).ToArray();
                foreach (var w in workers) results.Add(DecodeOnly("wild", files, w));
            }
            foreach (var w in workers)
            {
                using var source = new FfhqWildSource(json, wildRoot);
                results.Add(Ingest("wild", "FFHQ recreate_aligned_images (decode + align to 1024 + pyramid)", source, Path.Combine(workDir, $"wild-w{w}"), resolution, w));
                log?.Invoke(Describe(results[^1]));
            }
        }
        return results;
    }

    public static string Describe(IngestBenchResult r) =>
        $"{r.Input,-8} {r.Recipe,-62} workers {r.Workers}: {r.ItemsPerSecond,7:F2} items/s, {r.MillisecondsPerItemPerWorker,7:F1} ms/item/worker" +
        (r.Stages is { } s ? $"  [{s}]" : "");

    private static IngestBenchResult DecodeOnly(string input, string[] files, int workers)
    {
        if (files.Length == 0) throw new ArgumentException($"No images to decode for the {input} benchmark.");
        var bytes = files.Select(File.ReadAllBytes).ToArray(); // decode alone: the files are read before the clock starts
        ImageDecoder.Decode(bytes[0]);
        var clock = Stopwatch.StartNew();
        Parallel.For(0, bytes.Length, new ParallelOptions { MaxDegreeOfParallelism = workers }, i => ImageDecoder.Decode(bytes[i]));
        double s = clock.Elapsed.TotalSeconds;
        return new IngestBenchResult(input, "decode only (baseline, files in memory)", workers, bytes.Length, s, bytes.Length / s, null);
    }

    private static IngestBenchResult Ingest(string input, string recipe, IIngestSource source, string output, int resolution, int workers)
    {
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        var pipeline = new IngestPipeline(source, new IngestOptions { Output = output, Resolution = resolution, Workers = workers, ShardSize = 64 });
        var summary = pipeline.RunAsync().GetAwaiter().GetResult();
        if (summary.Rejected > 0) throw new InvalidOperationException($"{summary.Rejected} benchmark inputs were rejected: {string.Join("; ", summary.RejectReasons.Keys)}");
        return new IngestBenchResult(input, recipe, workers, (int)summary.Processed, summary.Elapsed.TotalSeconds, summary.ItemsPerSecond, summary.Stages);
    }
}
