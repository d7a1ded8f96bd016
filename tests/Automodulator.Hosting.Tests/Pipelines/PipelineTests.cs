using System.Text.Json.Nodes;
using Automodulator.Core.Registry;
using Automodulator.Hosting.Pipelines;
using Automodulator.Hosting.Pipelines.Steps;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Tests.Pipelines;

public sealed class PipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-pipe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The demo pipeline at a reduced size: 16×16, a few hundred training samples, tiny evaluation.</summary>
    private string WriteTinyPipeline(string name = "tiny", string extraStep = "")
    {
        var path = Path.Combine(_dir, $"{name}.json");
        File.WriteAllText(path, $$"""
        {
          // comments are allowed
          "name": "{{name}}",
          "run": "runs/${NAME}",
          "variables": { "NAME": "{{name}}", "SAMPLES": "96" },
          "steps": [
            { "name": "ingest", "kind": "ingest", "options": { "source": "synthetic", "count": 40, "seed": 3, "resolution": 16, "shardSize": 16, "workers": 1 } },
            { "name": "train", "kind": "train", "options": { "data": "${step:ingest}", "preset": "tiny16", "schedule": "cpu-tiny16",
              "samplesPerPhase": "${SAMPLES}", "batch": 8, "seed": 1, "checkpointEvery": 48, "gridEvery": 96 } },
            { "name": "edits", "kind": "edit", "options": { "checkpoint": "${step:train}/model.amod",
              "inputs": { "cache": "${step:ingest}", "offset": -4, "count": 4 },
              "edits": [
                { "operation": "reconstruct" },
                { "operation": "mix", "options": { "range": "coarse" } },
                { "operation": "attribute", "direction": { "name": "smile", "factor": "intermediate.smile", "count": 4 }, "options": { "strengths": "0,1" } }
              ] } },
            { "name": "evaluate", "kind": "evaluate", "options": { "checkpoint": "${step:train}/model.amod", "pairs": 4 } }{{extraStep}}
          ]
        }
        """);
        return path;
    }

    private static PipelineRunner Runner(StringWriter log, CancellationToken stop = default) =>
        new(ComponentRegistry.WithBuiltIns(), CPU, log, consoleLifetime: false) { ExternalStop = stop };

    [Fact]
    public void Variables_and_step_folders_are_substituted_and_paths_resolve_against_the_file()
    {
        var p = PipelineDefinition.Load(WriteTinyPipeline(), new Dictionary<string, string> { ["SAMPLES"] = "7" });
        Assert.Equal(Path.Combine(_dir, "runs", "tiny"), p.RunFolder);
        var train = p.Steps.Single(s => s.Name == "train");
        Assert.Equal(Path.Combine(_dir, "runs", "tiny", "ingest"), train.Options["data"]!.GetValue<string>());
        Assert.Equal("7", train.Options["samplesPerPhase"]!.GetValue<string>());
    }

    [Fact]
    public void A_train_step_takes_its_convolution_precision_and_batch_shards_from_the_options()
    {
        var p = PipelineDefinition.Load(WriteTinyPipeline());
        var train = p.Steps.Single(s => s.Name == "train");
        StepContext Context(PipelineStepDefinition step) => new()
        {
            Pipeline = p, Step = step, Record = new StepRecord { Name = step.Name, Kind = step.Kind },
            Log = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Device = CPU, Registry = ComponentRegistry.WithBuiltIns(),
        };
        Assert.Equal("fp32", TrainStep.Build(Context(train)).Precision);
        var options = (System.Text.Json.Nodes.JsonObject)train.Options.DeepClone();
        options["precision"] = "BF16";
        Assert.Equal("bf16", TrainStep.Build(Context(train with { Options = options })).Precision);
        options["precision"] = "fp8";
        Assert.Contains("fp32, bf16 or auto", Assert.Throws<ArgumentException>(() => TrainStep.Build(Context(train with { Options = options })).Resolve()).Message);

        // Batch shards: automatic (0) unless the step sets them; a negative count is refused.
        Assert.Equal(0, TrainStep.Build(Context(train)).BatchShards);
        options["precision"] = "fp32";
        options["batchShards"] = 1;
        Assert.Equal(1, TrainStep.Build(Context(train with { Options = options })).BatchShards);
        options["batchShards"] = -2;
        Assert.Contains("BatchShards", Assert.Throws<ArgumentException>(() => TrainStep.Build(Context(train with { Options = options })).Resolve()).Message);
    }

    [Fact]
    public void Undefined_variables_unknown_steps_and_kinds_are_named_in_the_error()
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, """{ "steps": [ { "name": "a", "kind": "ingest", "options": { "out": "${NOPE_NOT_SET_ANYWHERE}" } } ] }""");
        Assert.Contains("${NOPE_NOT_SET_ANYWHERE}", Assert.Throws<FormatException>(() => PipelineDefinition.Load(path)).Message);
        File.WriteAllText(path, """{ "steps": [ { "name": "a", "kind": "ingest", "options": { "out": "${step:b}" } } ] }""");
        Assert.Contains("no step 'b'", Assert.Throws<FormatException>(() => PipelineDefinition.Load(path)).Message);
        File.WriteAllText(path, """{ "steps": [ { "name": "a", "kind": "bake" } ] }""");
        Assert.Contains("kinds are", Assert.Throws<FormatException>(() => PipelineDefinition.Load(path)).Message);
        File.WriteAllText(path, "{ not json");
        Assert.Contains("not a valid pipeline file", Assert.Throws<FormatException>(() => PipelineDefinition.Load(path)).Message);
    }

    [Fact]
    public void Reduced_demo_runs_end_to_end_then_a_rerun_skips_every_step()
    {
        var file = WriteTinyPipeline();
        var log = new StringWriter();
        var pipeline = PipelineDefinition.Load(file);
        Assert.Equal(PipelineOutcome.Finished, Runner(log).Run(pipeline));

        var run = pipeline.RunFolder;
        Assert.True(File.Exists(Path.Combine(run, "train", "model.amod")));
        foreach (var f in new[] { "reconstruct.png", "reconstruct.json", "mix.png", "attribute.png", "smile.direction.json" })
            Assert.True(File.Exists(Path.Combine(run, "edits", f)), f);
        var evaluation = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "evaluate", "evaluation.json")))!;
        Assert.Equal(4, evaluation["Pairs"]!.GetValue<int>());
        var report = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("data:image/png;base64,", report);
        Assert.Contains("<svg", report);
        Assert.Contains("ground-truth mixing score", report);
        Assert.True(File.Exists(Path.Combine(run, "logs", "train.log")));
        Assert.True(File.Exists(Path.Combine(run, "pipeline.json")));

        var again = new StringWriter();
        Assert.Equal(PipelineOutcome.Finished, Runner(again).Run(PipelineDefinition.Load(file)));
        Assert.Equal(4, again.ToString().Split('\n').Count(l => l.Contains("done earlier, skipped")));
    }

    [Fact]
    public async Task Interrupted_training_resumes_on_the_next_run_and_finished_steps_are_not_repeated()
    {
        var file = WriteTinyPipeline("resume");
        using var stop = new CancellationTokenSource();
        var log = new StringWriter();
        var pipeline = PipelineDefinition.Load(file);
        // Stop as soon as training has written its first checkpoint.
        var checkpoints = Path.Combine(pipeline.RunFolder, "train", "checkpoints");
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (Directory.Exists(checkpoints) && Directory.GetFiles(checkpoints, "*.amod").Length > 0) { stop.Cancel(); break; }
                await Task.Delay(20);
            }
        });
        Assert.Equal(PipelineOutcome.Interrupted, await Task.Run(() => Runner(log, stop.Token).Run(pipeline)));
        await watcher;
        var state = PipelineState.LoadOrCreate(pipeline);
        Assert.Equal(StepStatus.Done, state["ingest"].Status);
        Assert.Equal(StepStatus.Interrupted, state["train"].Status);

        var again = new StringWriter();
        Assert.Equal(PipelineOutcome.Finished, Runner(again).Run(PipelineDefinition.Load(file)));
        Assert.Contains("[ingest] done earlier, skipped", again.ToString());
        Assert.Contains("resuming from", File.ReadAllText(Path.Combine(pipeline.RunFolder, "logs", "train.log")));
        state = PipelineState.LoadOrCreate(pipeline);
        Assert.All(state.Steps, s => Assert.Equal(StepStatus.Done, s.Status));
        Assert.Equal(2, state["train"].Attempts);
    }

    [Fact]
    public void A_failing_step_stops_the_run_with_its_error_and_keeps_finished_work()
    {
        var file = WriteTinyPipeline("fails", extraStep: """
            , { "name": "broken", "kind": "edit", "options": { "checkpoint": "${step:train}/missing.amod", "inputs": { "cache": "${step:ingest}", "count": 2 }, "edits": [ { "operation": "reconstruct" } ] } },
            { "name": "after", "kind": "evaluate", "options": { "checkpoint": "${step:train}/model.amod", "pairs": 2 } }
            """);
        var log = new StringWriter();
        var pipeline = PipelineDefinition.Load(file);
        Assert.Equal(PipelineOutcome.Failed, Runner(log).Run(pipeline));
        var state = PipelineState.LoadOrCreate(pipeline);
        Assert.Equal(StepStatus.Done, state["evaluate"].Status);
        Assert.Equal(StepStatus.Failed, state["broken"].Status);
        Assert.Contains("missing.amod", state["broken"].Error);
        Assert.Equal(StepStatus.Pending, state["after"].Status);
        Assert.True(File.Exists(Path.Combine(pipeline.RunFolder, "train", "model.amod")));
        Assert.Contains("broken failed", File.ReadAllText(Path.Combine(pipeline.RunFolder, "report.html")));
    }
}
