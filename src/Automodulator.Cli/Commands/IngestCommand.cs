using System.CommandLine;
using Automodulator.Hosting.Ingest;
using Microsoft.Extensions.Logging;

namespace Automodulator.Cli.Commands;

/// <summary>`automod ingest SOURCE [INPUT]`: a data set into a multi-resolution cache (hosted pipeline).</summary>
public static class IngestCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("SOURCE") { Description = "Source kind: " + string.Join("; ", IngestSourceFactory.Kinds.Select(k => $"{k.Key} = {k.Value}")) + "." };
        var input = new Argument<string?>("INPUT") { Description = "The source's folder, database or .h5 file (not for synthetic).", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string>("--out") { Description = "Cache folder (an unfinished one with the same settings is resumed).", Required = true };
        var resolution = new Option<int>("--resolution") { Description = "Largest cached side R (levels 4…R).", DefaultValueFactory = _ => 256 };
        var workers = new Option<int>("--workers") { Description = "Workers per stage (decode, align/crop).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shard = new Option<string>("--shard") { Description = "Ingest only part k of n of the source (k/n), for splitting across machines; join with `automod cache merge`.", DefaultValueFactory = _ => "0/1" };
        var shardSize = new Option<int>("--shard-size") { Description = "Source items per shard (the unit of commit and resume).", DefaultValueFactory = _ => 1000 };
        var limit = new Option<long?>("--limit") { Description = "Only the first N items of the source." };
        var json = new Option<string?>("--json") { Description = "ffhq-dataset-v2.json (ffhq-wild; ffhq-aligned for the split)." };
        var landmarks = new Option<string?>("--landmarks") { Description = "list_landmarks_celeba.txt (celeba)." };
        var imageList = new Option<string?>("--image-list") { Description = "CelebA-HQ image_list.txt (celeba: the 30k selection; celebahq: the split)." };
        var count = new Option<long>("--count") { Description = "Number of synthetic faces.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the synthetic faces.", DefaultValueFactory = _ => 0UL };
        var flipPairs = new Option<bool>("--flip-pairs") { Description = "Synthetic: store each face and its mirror as a flip pair." };
        var alignSize = new Option<int>("--align-size") { Description = "Aligned size of the FFHQ/CelebA recipes before the pyramid (the recipe's 1024).", DefaultValueFactory = _ => 1024 };
        var detect = new Option<bool>("--detect") { Description = "Photo sources (" + string.Join(", ", IngestSourceFactory.DetectableKinds) + "): find the face (detector + dlib 68 landmarks) and align it with FFHQ's recipe instead of the source's crop; photos without a big enough face are rejected with the reason." };
        var landmarkModel = AlignCommand.LandmarkModelOption();
        var minFace = new Option<int>("--min-face") { Description = "--detect: smallest face box side (photo pixels) that is kept.", DefaultValueFactory = _ => 64 };
        var quiet = new Option<bool>("--quiet") { Description = "Only warnings and the summary." };
        var cmd = new Command("ingest", "Turn a data set (FFHQ, CelebA(-HQ), LSUN, an image folder or synthetic faces) into a multi-resolution cache. Ctrl+C stops after the current shard; rerun to resume.")
        {
            kind, input, output, resolution, workers, shard, shardSize, limit, json, landmarks, imageList, count, seed, flipPairs, alignSize, detect, landmarkModel, minFace, quiet,
        };
        cmd.SetAction(r =>
        {
            var (part, parts) = IngestOptions.ParseShard(r.GetValue(shard)!);
            var settings = new SourceSettings
            {
                Input = r.GetValue(input), Json = r.GetValue(json), Landmarks = r.GetValue(landmarks), ImageList = r.GetValue(imageList),
                Count = r.GetValue(count), Seed = r.GetValue(seed), FlipPairs = r.GetValue(flipPairs), AlignSize = r.GetValue(alignSize),
                Detect = r.GetValue(detect), LandmarkModel = r.GetValue(landmarkModel), MinFace = r.GetValue(minFace),
            };
            var options = new IngestOptions
            {
                Output = r.GetValue(output)!, Resolution = r.GetValue(resolution), Workers = r.GetValue(workers),
                Part = part, Parts = parts, ShardSize = r.GetValue(shardSize), Limit = r.GetValue(limit),
            };
            using var source = IngestSourceFactory.Create(r.GetValue(kind)!, settings);
            var level = r.GetValue(quiet) ? LogLevel.Warning : LogLevel.Information;
            var summary = IngestProgressDisplay.RunAsync($"ingest {r.GetValue(kind)}", p => IngestHost.RunAsync(source, options, p, level)).GetAwaiter().GetResult();
            Print(summary, options.Output);
            return summary.Stopped ? 3 : 0;
        });
        return cmd;
    }

    internal static void Print(IngestSummary s, string output)
    {
        var m = s.Manifest;
        Console.WriteLine($"{output}: {(m.Complete ? "complete" : s.Stopped ? "stopped (rerun to resume)" : "incomplete")}, {m.Count} items, {m.Rejects} rejects, levels {string.Join("/", m.Resolutions)}, {m.Shards.Count} shards");
        Console.WriteLine($"this run: {s.Processed} items in {s.Elapsed.TotalSeconds:F1} s ({s.ItemsPerSecond:F1} items/s), kept {s.Kept}, rejected {s.Rejected}");
        if (s.Processed > 0) Console.WriteLine($"time per stage: {s.Stages}");
        foreach (var (reason, n) in s.RejectReasons) Console.WriteLine($"  reject ×{n}: {reason}");
        if (m.Splits.Count > 0) Console.WriteLine("splits: " + string.Join(", ", m.Splits.Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
