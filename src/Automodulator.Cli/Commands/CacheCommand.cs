using System.CommandLine;
using Automodulator.Data.Cache;

namespace Automodulator.Cli.Commands;

/// <summary>`automod cache info|verify|merge`: inspect, check and join multi-resolution caches.</summary>
public static class CacheCommand
{
    public static Command Create()
    {
        var cmd = new Command("cache", "Inspect, verify and merge multi-resolution caches made by `automod ingest`.");
        cmd.Subcommands.Add(Info());
        cmd.Subcommands.Add(Verify());
        cmd.Subcommands.Add(Merge());
        return cmd;
    }

    private static Command Info()
    {
        var dir = new Argument<string>("CACHE") { Description = "Cache folder." };
        var cmd = new Command("info", "Show a cache's source, recipe, deviations, levels, counts and splits.") { dir };
        cmd.SetAction(r =>
        {
            var m = CacheManifest.Load(r.GetValue(dir)!);
            Console.WriteLine($"format {m.FormatVersion}; {(m.Complete ? "complete" : "INCOMPLETE (rerun the ingest to resume)")}");
            Console.WriteLine($"source: {m.Source.Kind} {m.Source.Location}");
            Console.WriteLine($"recipe: {m.Source.Recipe}");
            foreach (var d in m.Source.Deviations) Console.WriteLine($"deviation: {d}");
            foreach (var (k, v) in m.Source.Options) Console.WriteLine($"option: {k} = {v}");
            Console.WriteLine($"levels: {string.Join(", ", m.Resolutions.Select(x => $"{x}×{x}"))}; mirror allowed: {(m.CanMirror ? "yes" : "no")}");
            Console.WriteLine($"items: {m.Count} kept, {m.Rejects} rejected, of source items [{m.RangeStart}, {m.RangeEnd}) of {m.SourceCount}");
            Console.WriteLine($"shards: {m.Shards.Count} committed of {m.ShardCount} ({m.ShardSize} source items each)");
            if (m.Splits.Count > 0) Console.WriteLine("splits: " + string.Join(", ", m.Splits.Select(kv => $"{kv.Key} {kv.Value}")));
            long bytes = m.Resolutions.Sum(x => (long)x * x * 3) * m.Count;
            Console.WriteLine($"size: {bytes / 1048576.0:F1} MiB of pixels");
            return 0;
        });
        return cmd;
    }

    private static Command Verify()
    {
        var dir = new Argument<string>("CACHE") { Description = "Cache folder." };
        var cmd = new Command("verify", "Re-hash every committed shard and every item against the manifest (exit 1 on any problem).") { dir };
        cmd.SetAction(r =>
        {
            var report = CacheVerifier.Verify(r.GetValue(dir)!);
            foreach (var p in report.Problems) Console.WriteLine($"problem: {p}");
            Console.WriteLine($"{(report.Ok ? "ok" : "FAILED")}: {report.ItemsChecked} items, {report.Manifest.Shards.Count} shards, {report.BytesHashed / 1048576.0:F1} MiB hashed" +
                (report.Manifest.Complete ? "" : "; the cache is incomplete (its committed part is what was checked)"));
            return report.Ok ? 0 : 1;
        });
        return cmd;
    }

    private static Command Merge()
    {
        var output = new Option<string>("--out") { Description = "New cache folder for the merged result.", Required = true };
        var inputs = new Argument<string[]>("PARTS") { Description = "Caches made by `automod ingest --shard k/n` of one source (any order).", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("merge", "Join caches of consecutive parts of one source (--shard k/n runs) into one cache, identical to an unsharded ingest.") { inputs, output };
        cmd.SetAction(r =>
        {
            var m = CacheMerger.Merge(r.GetValue(inputs)!, r.GetValue(output)!);
            Console.WriteLine($"{r.GetValue(output)}: {m.Count} items, {m.Rejects} rejects, {m.Shards.Count} shards, source items [{m.RangeStart}, {m.RangeEnd})");
            return 0;
        });
        return cmd;
    }
}
