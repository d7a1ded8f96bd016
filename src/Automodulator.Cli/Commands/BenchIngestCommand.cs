using System.CommandLine;
using System.Text.Json;
using Automodulator.Data.Imaging;
using Automodulator.Hosting.Bench;

namespace Automodulator.Cli.Commands;

/// <summary>`automod bench ingest`: items/s of the ingest pipeline against a decode-only baseline measured alongside.</summary>
public static class BenchIngestCommand
{
    public static Command Create()
    {
        var aligned = new Option<string?>("--aligned") { Description = "A folder of aligned square images (e.g. FFHQ images1024x1024). Default: generated." };
        var wild = new Option<string?>("--wild") { Description = "An FFHQ-layout root: ffhq-dataset-v2.json + in-the-wild images. Default: generated." };
        var output = new Option<string>("--out") { Description = "Work folder: generated inputs, the caches, bench-ingest.json.", DefaultValueFactory = _ => Path.Combine("runs", "bench-ingest") };
        var count = new Option<int>("--count") { Description = "Images to generate per input kind when none is given.", DefaultValueFactory = _ => 24 };
        var resolution = new Option<int>("--resolution") { Description = "Largest cached side (the cache holds 4…R).", DefaultValueFactory = _ => 256 };
        var workers = new Option<string>("--workers") { Description = "Worker counts to measure, comma-separated.", DefaultValueFactory = _ => "1,2" };
        var cmd = new Command("ingest", "Measure ingest items/s (aligned PNGs and the FFHQ in-the-wild recipe, 1 and 2 workers) with time per stage and a decode-only baseline.")
        {
            aligned, wild, output, count, resolution, workers,
        };
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(output)!;
            var alignedDir = r.GetValue(aligned);
            var wildRoot = r.GetValue(wild);
            var ws = r.GetValue(workers)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            if (alignedDir is null || wildRoot is null)
            {
                var gen = Path.Combine(dir, "input");
                int n = r.GetValue(count);
                if (!File.Exists(Path.Combine(gen, "ffhq-dataset-v2.json")) || Directory.GetFiles(gen, "*.jpg", SearchOption.AllDirectories).Length != n)
                {
                    if (Directory.Exists(gen)) Directory.Delete(gen, true);
                    Console.WriteLine($"generating {n} in-the-wild 1024×1024 JPEGs with landmarks and {n} aligned 1024×1024 PNGs in {gen} …");
                    IngestBenchFixtures.Write(gen, n);
                }
                alignedDir ??= Path.Combine(gen, "images1024x1024");
                wildRoot ??= gen;
            }
            Console.WriteLine($"cache 4…{r.GetValue(resolution)}; {Environment.ProcessorCount} cores");
            var results = IngestBenchmark.Run(alignedDir, wildRoot, Path.Combine(dir, "caches"), r.GetValue(resolution), ws);
            foreach (var res in results) Console.WriteLine(IngestBenchmark.Describe(res));
            foreach (var kind in new[] { "aligned", "wild" })
                foreach (var w in ws)
                {
                    var dec = results.FirstOrDefault(x => x.Input == kind && x.Workers == w && x.Stages is null);
                    var ing = results.FirstOrDefault(x => x.Input == kind && x.Workers == w && x.Stages is not null);
                    if (dec is not null && ing is not null)
                        Console.WriteLine($"{kind}, {w} worker(s): ingest runs at {ing.ItemsPerSecond / dec.ItemsPerSecond:P0} of decode-only throughput");
                }
            AtomicFile.WriteAllText(Path.Combine(dir, "bench-ingest.json"), JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"results: {Path.Combine(dir, "bench-ingest.json")}");
            return 0;
        });
        return cmd;
    }
}
