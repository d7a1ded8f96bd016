using System.Text.Json;
using Automodulator.Abstractions.Data;
using Automodulator.Core.Model;
using Automodulator.Core.Training;
using Automodulator.Hosting.Training;
using Microsoft.Extensions.Logging;

namespace Automodulator.Hosting.Pipelines.Steps;

/// <summary>
/// kind "train": progressive training in the step folder (the same run as `automod train`); an interrupted step
/// resumes from its newest intact checkpoint. Options: data ("synthetic" or a cache folder), syntheticCount, preset,
/// schedule, samplesPerPhase, batch, objective (paper|reference|cpu-demo), distance (robust|l1; default the objective's),
/// invariance, noise, mirror, precision (fp32|bf16|auto), batchShards (0: automatic), emaDecay, seed, checkpointEvery, keep, gridEvery, options (a JSON file in options.json
/// format, overridden by the rest); plugin blocks on a pretrained base: baseModel (a model.amod; its configuration
/// replaces preset, and the schedule defaults to finetune-R at its resolution), pluginBlocks ("TYPE@AFTER[:KEY]" or a
/// list of them), appendBlock ("builtin" or a plugin block type: a new level at twice the base's resolution; the
/// schedule then defaults to append-2R), appendChannels (its width), trainOnly (all|plugins).
/// Output: model.amod (the EMA model), log.jsonl, grids/.
/// </summary>
public sealed class TrainStep : IPipelineStep
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public string Kind => "train";

    public StepOutcome Run(StepContext c, CancellationToken stop)
    {
        var folder = new RunFolder(c.Folder);
        var monitor = new LogTrainingMonitor(c.Log);
        TrainingRun run;
        if (folder.Checkpoints().Count > 0)
        {
            var saved = JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(folder.OptionsFile), Json)!;
            run = TrainingRun.Resume(folder.Path, OpenData(c, saved), c.Device, monitor, registry: c.Registry);
        }
        else
        {
            var options = Build(c).Resolve();
            run = TrainingRun.Start(folder.Path, options, OpenData(c, options), c.Device, monitor, registry: c.Registry);
        }
        using (run)
        {
            var outcome = run.Run(stop);
            c.Record.Outputs["model"] = folder.ModelFile;
            c.Record.Outputs["log"] = folder.LogFile;
            c.Record.Outputs["grids"] = folder.GridFolder;
            c.Record.Outputs["samples"] = run.Trainer.SampleCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
            c.Record.Outputs["data_wait_share"] = run.DataWaitShare.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
            return outcome == RunOutcome.Finished ? StepOutcome.Done : StepOutcome.Interrupted;
        }
    }

    public static TrainingOptions Build(StepContext c)
    {
        var o = c.PathOption("options") is { } file
            ? JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(file), Json) ?? throw new ArgumentException($"{file} is empty.")
            : new TrainingOptions { Model = ModelPresets.Get("small32"), Schedule = SchedulePresets.Get("cpu-small32") };
        if (c.String("preset") is { } preset) o = o with { Model = ModelPresets.Get(preset) };
        if (c.String("schedule") is { } schedule) o = o with { Schedule = SchedulePresets.Get(schedule) };
        var obj = c.String("objective") is { } name ? ObjectiveOptions.Named(name) : o.Objective;
        if (c.String("distance") is { } d) obj = obj with { ReconstructionDistance = d };
        if (c.Options["invariance"] is not null) obj = obj with { Invariance = c.Get("invariance", false) };
        if (c.Options["noise"] is not null) obj = obj with { LayerNoise = c.Get("noise", true) };
        o = o with { Objective = obj, Seed = c.Get("seed", o.Seed) };
        if (c.PathOption("baseModel") is { } baseModel)
        {
            if (c.String("preset") is not null) throw new ArgumentException($"Step '{c.Step.Name}': \"preset\" does not apply with \"baseModel\" (the base's configuration is used).");
            o = o with { BaseModel = baseModel };
        }
        if (c.Options["pluginBlocks"] is { } blocks)
        {
            var texts = blocks is System.Text.Json.Nodes.JsonArray list ? list.Select(n => n?.GetValue<string>() ?? "").ToArray() : [blocks.GetValue<string>()];
            o = o with { PluginBlocks = texts.Select(PluginBlockRequest.Parse).ToArray() };
        }
        if (c.String("appendBlock") is { } append)
            o = o with { AppendBlock = AppendBlockRequest.Parse(append, c.Options["appendChannels"] is null ? null : c.Get("appendChannels", 0)) };
        else if (c.Options["appendChannels"] is not null)
            throw new ArgumentException($"Step '{c.Step.Name}': \"appendChannels\" sets the width of an appended level; give \"appendBlock\" too.");
        if (c.String("trainOnly") is { } only) o = o with { TrainOnly = only.ToLowerInvariant() };
        if (o.BaseModel is not null || o.PluginBlocks.Length > 0)
        {
            o = PluginTraining.ResolveModel(o, c.Registry);
            if (o.BaseModel is not null && c.String("schedule") is null && c.PathOption("options") is null)
                o = o with { Schedule = o.AppendBlock is null ? FineTuneSchedule.Create(o.Model.MaxResolution) : FineTuneSchedule.Append(o.Model.MaxResolution) };
        }
        if (c.Options["samplesPerPhase"] is not null)
        {
            long s = c.Get("samplesPerPhase", 0L);
            o = o with { Schedule = o.Schedule with { Phases = o.Schedule.Phases.Select(p => p with { Samples = s }).ToList() } };
        }
        if (c.Options["batch"] is not null)
        {
            int b = c.Get("batch", 16);
            o = o with { Schedule = o.Schedule with { Phases = o.Schedule.Phases.Select(p => p with { BatchSize = b }).ToList() } };
        }
        if (c.Options["emaDecay"] is not null) o = o with { EmaDecay = c.Get("emaDecay", 0.999) };
        if (c.Options["checkpointEvery"] is not null) o = o with { CheckpointEverySamples = c.Get("checkpointEvery", 50_000L) };
        if (c.Options["keep"] is not null) o = o with { KeepCheckpoints = c.Get("keep", 3) };
        if (c.Options["gridEvery"] is not null) o = o with { SnapshotEverySamples = c.Get("gridEvery", 50_000L) };
        if (c.Options["mirror"] is not null) o = o with { MirrorAugment = c.Get("mirror", true) };
        if (c.String("precision") is { } precision) o = o with { Precision = precision.ToLowerInvariant() };
        if (c.Options["batchShards"] is not null) o = o with { BatchShards = c.Get("batchShards", 0) };
        return o;
    }

    private static IImageSet OpenData(StepContext c, TrainingOptions options)
    {
        var data = c.String("data") ?? "synthetic";
        if (data == "synthetic")
            return ImageSourceSet.Synthetic(c.Get("syntheticCount", 10_000), options.Model.MaxResolution, (ulong)options.Seed);
        return ImageSourceSet.Cache(c.Pipeline.ResolvePath(data), options.Model.MaxResolution,
            options.AppendBlock is null ? null : $"the appended level trains at {options.Model.MaxResolution}×{options.Model.MaxResolution}");
    }
}
