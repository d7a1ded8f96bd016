using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Automodulator.Abstractions.Data;
using Automodulator.Hosting.Training;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using Automodulator.Core.Training;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod train`: trains an automodulator progressively in a run folder, resumable at any time
/// (Ctrl+C or SIGTERM writes a checkpoint first).
/// </summary>
public static class TrainCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNameCaseInsensitive = true };

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "A JSON file of training options (the format of a run's options.json); flags given as well override it." };
        var preset = new Option<string>("--preset") { Description = $"Model preset: {string.Join(", ", ModelPresets.List().Select(p => p.Name))}.", DefaultValueFactory = _ => "small32" };
        var schedule = new Option<string>("--schedule") { Description = $"Schedule preset: {string.Join(", ", SchedulePresets.List().Select(p => p.Name))}.", DefaultValueFactory = _ => "cpu-small32" };
        var objective = new Option<string>("--objective") { Description = "Loss weights and mixing: paper (default), reference (the authors' public code) or cpu-demo (short CPU runs); see docs/training.md.", DefaultValueFactory = _ => "paper" };
        var distance = new Option<string>("--distance") { Description = "Reconstruction distance d_X: robust (Barron's adaptive loss) or l1 (default: the objective set's; robust for paper and reference)." };
        var invariance = new Option<bool>("--invariance") { Description = "Train the flip invariance L_inv (adds the extra 8×8 layer, layer noise off)." };
        var batch = new Option<int?>("--batch") { Description = "Batch size for every phase (overrides the schedule's)." };
        var samples = new Option<long?>("--samples-per-phase") { Description = "Samples of every phase (overrides the schedule's)." };
        var ema = new Option<double?>("--ema-decay") { Description = "Decay of the decoder's moving average (default 0.999)." };
        var checkpointEvery = new Option<long?>("--checkpoint-every") { Description = "Write a checkpoint every N samples (default 50000)." };
        var keep = new Option<int?>("--keep") { Description = "Checkpoints to keep (default 3)." };
        var gridEvery = new Option<long?>("--grid-every") { Description = "Write PNG grids every N samples (default 50000)." };
        var noMirror = new Option<bool>("--no-mirror") { Description = "Do not mirror training images at random." };
        var precision = new Option<string?>("--precision") { Description = "Convolution operands: fp32 (default), bf16 (mixed precision, ~2x faster convolutions on CPUs with AVX512-BF16/AMX) or auto (bf16 where fast)." };
        var batchShards = new Option<int?>("--batch-shards") { Description = "Split each batch into N shards computed side by side, one thread each (CPU; default: one per thread, up to 8; 1: no split)." };
        var noNoise = new Option<bool>("--no-noise") { Description = "Train without per-pixel layer noise." };
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var output = new Option<string?>("--out") { Description = "Run folder for options.json, log.jsonl, checkpoints/, grids/, model.amod (default runs/train)." };
        var resume = new Option<string?>("--resume") { Description = "Resume the run in this folder from its newest intact checkpoint (its options are used)." };
        var data = new Option<string>("--data") { Description = "Training data: synthetic (procedural faces) or a cache folder.", DefaultValueFactory = _ => "synthetic" };
        var syntheticCount = new Option<int>("--synthetic-count") { Description = "Number of synthetic faces (with --data synthetic).", DefaultValueFactory = _ => 10_000 };
        var maxIterations = new Option<long?>("--max-iterations") { Description = "Stop (with a checkpoint) after this many iterations." };
        var baseModel = new Option<string?>("--base-model") { Description = "Start from this trained model.amod (its configuration and weights; --preset does not apply). The schedule defaults to finetune-R at its resolution (append-2R with --append-block)." };
        var pluginBlock = new Option<string[]>("--plugin-block") { Description = "Insert a plugin decoder block: TYPE@AFTER[:KEY], e.g. modulated-residual@16x16 (repeatable).", DefaultValueFactory = _ => [] };
        var appendBlock = new Option<string?>("--append-block") { Description = "Append a new resolution level on the base model (R → 2R): builtin (the core's modulated-conv block) or a plugin block type, e.g. modulated-residual. The schedule defaults to append-2R (fades in from R)." };
        var appendChannels = new Option<int?>("--append-channels") { Description = "Channel width of the appended level, encoder and decoder (default: the base's top-level widths)." };
        var trainOnly = new Option<string?>("--train-only") { Description = "all (default) or plugins: train only what the run adds (inserted plugin blocks, the appended level); the base stays bit-identical." };
        var plugins = PluginsCommand.PluginDirs();

        var cmd = new Command("train", "Train an automodulator progressively; stop any time (Ctrl+C) and --resume exactly where it stopped.")
        {
            config, preset, schedule, objective, distance, invariance, batch, samples, ema, checkpointEvery, keep, gridEvery,
            noMirror, noNoise, precision, batchShards, seed, device, threads, output, resume, data, syntheticCount, maxIterations,
            baseModel, pluginBlock, appendBlock, appendChannels, trainOnly, plugins,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            bool Given(Option o) => r.GetResult(o) is { Implicit: false }; // a default value yields an implicit result
            var monitor = new ConsoleTrainingMonitor(Console.Out, !Console.IsOutputRedirected);
            using var stop = new CancellationTokenSource();
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
            ConsoleCancelEventHandler onCtrlC = (_, e) =>
            {
                if (stop.IsCancellationRequested) return; // a second Ctrl+C ends the process at once
                e.Cancel = true;
                stop.Cancel();
                Console.Error.WriteLine("\nstopping after this iteration; writing a checkpoint (Ctrl+C again to abort without one)");
            };
            Console.CancelKeyPress += onCtrlC;
            try
            {
                var registry = PluginsCommand.LoadRegistry(r.GetValue(plugins)!).Registry;
                TrainingRun run;
                if (r.GetValue(resume) is { } resumeDir)
                {
                    if (Given(output) || Given(config) || Given(baseModel) || Given(pluginBlock) || Given(appendBlock) || Given(appendChannels) || Given(trainOnly))
                        throw new ArgumentException("--resume continues a run with its own options; leave out --out, --config, --base-model, --plugin-block, --append-block, --append-channels and --train-only.");
                    var saved = JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(new RunFolder(resumeDir).OptionsFile), Json)
                                ?? throw new ArgumentException($"{resumeDir}/options.json is empty.");
                    run = TrainingRun.Resume(resumeDir, OpenData(r.GetValue(data)!, r.GetValue(syntheticCount), saved), dev, monitor, registry: registry);
                }
                else
                {
                    var options = Build(r, config, preset, schedule, objective, distance, invariance, batch, samples, ema, checkpointEvery, keep,
                        gridEvery, noMirror, noNoise, precision, batchShards, seed, baseModel, pluginBlock, appendBlock, appendChannels, trainOnly, registry, Given).Resolve();
                    var dir = r.GetValue(output) ?? Path.Combine("runs", "train");
                    var set = OpenData(r.GetValue(data)!, r.GetValue(syntheticCount), options);
                    monitor.OnMessage($"training {options.Model.Preset ?? "custom"} model ({options.Model.MaxResolution}×{options.Model.MaxResolution}, z {options.Model.LatentDim}) " +
                                      $"on {set.Count} images, schedule {options.Schedule.Name ?? "custom"} ({options.Schedule.TotalSamples} samples), objective {options.Objective.OptionSet}, device {dev}; run folder {Path.GetFullPath(dir)}");
                    run = TrainingRun.Start(dir, options, set, dev, monitor, registry: registry);
                }
                using (run)
                {
                    var outcome = run.Run(stop.Token, r.GetValue(maxIterations));
                    monitor.OnMessage($"data wait: {run.DataWaitShare * 100:F1} % of the run's time");
                    return outcome == RunOutcome.Finished ? 0 : 130;
                }
            }
            finally
            {
                Console.CancelKeyPress -= onCtrlC;
            }
        });
        return cmd;
    }

    private static TrainingOptions Build(ParseResult r, Option<string?> config, Option<string> preset, Option<string> schedule,
        Option<string> objective, Option<string> distance, Option<bool> invariance, Option<int?> batch, Option<long?> samples,
        Option<double?> ema, Option<long?> checkpointEvery, Option<int?> keep, Option<long?> gridEvery, Option<bool> noMirror,
        Option<bool> noNoise, Option<string?> precision, Option<int?> batchShards, Option<long> seed, Option<string?> baseModel, Option<string[]> pluginBlock, Option<string?> appendBlock,
        Option<int?> appendChannels, Option<string?> trainOnly, ComponentRegistry registry, Func<Option, bool> given)
    {
        TrainingOptions o;
        if (r.GetValue(config) is { } file)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"The options file {file} does not exist.");
            try { o = JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(file), Json) ?? throw new JsonException("the file is empty"); }
            catch (JsonException e) { throw new ArgumentException($"{file} is not a valid options file: {e.Message}"); }
        }
        else o = new TrainingOptions { Model = ModelPresets.Get(r.GetValue(preset)!), Schedule = SchedulePresets.Get(r.GetValue(schedule)!) };

        bool fromFile = r.GetValue(config) is not null;
        if (!fromFile || given(preset)) o = o with { Model = ModelPresets.Get(r.GetValue(preset)!) };
        if (!fromFile || given(schedule)) o = o with { Schedule = SchedulePresets.Get(r.GetValue(schedule)!) };
        var obj = !fromFile || given(objective) ? ObjectiveOptions.Named(r.GetValue(objective)!) : o.Objective;
        if (given(distance)) obj = obj with { ReconstructionDistance = r.GetValue(distance)!.ToLowerInvariant() };
        if (given(invariance)) obj = obj with { Invariance = r.GetValue(invariance) };
        if (given(noNoise)) obj = obj with { LayerNoise = !r.GetValue(noNoise) };
        o = o with { Objective = obj };
        if (!fromFile || given(seed)) o = o with { Seed = r.GetValue(seed) };
        if (r.GetValue(baseModel) is { } basePath)
        {
            if (given(preset)) throw new ArgumentException("--preset does not apply with --base-model: the base model's configuration is used.");
            o = o with { BaseModel = Path.GetFullPath(basePath) };
        }
        if (given(pluginBlock)) o = o with { PluginBlocks = r.GetValue(pluginBlock)!.Select(PluginBlockRequest.Parse).ToArray() };
        if (r.GetValue(appendBlock) is { } append) o = o with { AppendBlock = AppendBlockRequest.Parse(append, r.GetValue(appendChannels)) };
        else if (given(appendChannels)) throw new ArgumentException("--append-channels sets the width of an appended level; give --append-block TYPE too.");
        if (r.GetValue(trainOnly) is { } only) o = o with { TrainOnly = only.ToLowerInvariant() };
        if (o.BaseModel is not null || o.PluginBlocks.Length > 0)
        {
            // The model is the base's (grown, plus the plugin blocks): resolve it now, so the data and schedule fit its resolution.
            o = PluginTraining.ResolveModel(o, registry);
            if (o.BaseModel is not null && !given(schedule) && !fromFile)
                o = o with { Schedule = o.AppendBlock is null ? FineTuneSchedule.Create(o.Model.MaxResolution) : FineTuneSchedule.Append(o.Model.MaxResolution) };
        }
        if (r.GetValue(batch) is { } b) o = o with { Schedule = o.Schedule with { Phases = o.Schedule.Phases.Select(p => p with { BatchSize = b }).ToList() } };
        if (r.GetValue(samples) is { } s) o = o with { Schedule = o.Schedule with { Phases = o.Schedule.Phases.Select(p => p with { Samples = s }).ToList() } };
        if (r.GetValue(ema) is { } decay) o = o with { EmaDecay = decay };
        if (r.GetValue(checkpointEvery) is { } c) o = o with { CheckpointEverySamples = c };
        if (r.GetValue(keep) is { } k) o = o with { KeepCheckpoints = k };
        if (r.GetValue(gridEvery) is { } g) o = o with { SnapshotEverySamples = g };
        if (given(noMirror)) o = o with { MirrorAugment = !r.GetValue(noMirror) };
        if (r.GetValue(precision) is { } p) o = o with { Precision = p.ToLowerInvariant() };
        if (r.GetValue(batchShards) is { } shards) o = o with { BatchShards = shards };
        return o;
    }

    private static IImageSet OpenData(string data, int syntheticCount, TrainingOptions options)
    {
        if (data.Equals("synthetic", StringComparison.OrdinalIgnoreCase))
        {
            if (syntheticCount < options.HeldOutImages + 2) throw new ArgumentException($"--synthetic-count must be at least {options.HeldOutImages + 2}.");
            return ImageSourceSet.Synthetic(syntheticCount, options.Model.MaxResolution, (ulong)options.Seed);
        }
        if (!Directory.Exists(data))
            throw new DirectoryNotFoundException($"--data {data}: no such cache folder. Use --data synthetic or the folder of an `automod ingest` cache.");
        return ImageSourceSet.Cache(data, options.Model.MaxResolution,
            options.AppendBlock is null ? null : $"the appended level trains at {options.Model.MaxResolution}×{options.Model.MaxResolution}");
    }
}
