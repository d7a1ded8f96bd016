using Automodulator.Abstractions;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using Automodulator.Core.Training;
using Automodulator.Hosting.Pipelines;
using Automodulator.Hosting.Plugins;
using Automodulator.Hosting.Training;
using TorchSharp;
using static TorchSharp.torch;
using Automodulator.Tests.Shared;
using static Automodulator.Tests.Shared.ModelTestSupport;

namespace Automodulator.Hosting.Tests.Plugins;

/// <summary>
/// One plugin fine-tune shared by the tests: a 16×16 base (saved as base.amod), a modulated-residual block inserted
/// after 16×16 and trained alone for 12 iterations with the base frozen, exported as model.amod.
/// </summary>
public sealed class PluginFineTune() : FrozenBaseRun("automod-ptrain-", BaseConfig, Options, SampleData, SampleRegistry)
{
    public const string Key = "modulated-residual-16x16";

    private static readonly ComponentRegistry SampleRegistry = new PluginHost(ComponentRegistry.WithBuiltIns()).LoadAll([PluginFolders.Samples]).Registry;
    private static readonly ImageSourceSet SampleData = ImageSourceSet.Synthetic(24, 16, seed: 5);

    public ComponentRegistry Registry => SampleRegistry;
    public ImageSourceSet Data => SampleData;

    public static ModelConfig BaseConfig => new()
    {
        Preset = "test", MaxResolution = 16, LatentDim = 16, EncoderChannels = [8, 8, 8], DecoderChannels = [8, 8, 8],
    };

    /// <summary>12 iterations of 4 at 16×16, layer noise on (the plugin draws it from the trainer's generator, so resume is exact).</summary>
    public static TrainingOptions Options(string basePath) => new()
    {
        Seed = 4,
        BaseModel = basePath,
        PluginBlocks = [PluginBlockRequest.Parse("modulated-residual@16x16")],
        TrainOnly = PluginTraining.TrainPlugins,
        Schedule = FineTuneSchedule.Create(16, samples: 48, batch: 4),
        EmaDecay = 0.9, // not 0.5: 0.5·w + 0.5·w == w exactly, which would hide an EMA that rewrites frozen weights
        HeldOutImages = 4,
        CheckpointEverySamples = 0,
        SnapshotEverySamples = 0,
        LogFlushEveryIterations = 4,
    };
}

public sealed class PluginTrainingTests(PluginFineTune f) : IClassFixture<PluginFineTune>
{
    private static Tensor Decode(AutomodulatorNetwork net, Tensor z, int resolution, int? stop = null)
    {
        net.eval();
        net.Decoder.NoiseEnabled = false;
        return net.Decoder.call(LayerLatents.Uniform(z, net.Decoder.LayerCountUpTo(resolution)), new DecodeSpec(resolution, StopAfterLayer: stop));
    }

    [Fact]
    public void Training_a_plugin_on_a_frozen_base_leaves_every_base_parameter_and_buffer_bit_identical()
    {
        Assert.Equal(RunOutcome.Finished, f.Outcome);
        Assert.Contains(f.BaseState.Keys, k => k.EndsWith("weight_sigma", StringComparison.Ordinal)); // buffers are covered too
        using var exported = ModelCheckpoint.Load(f.ModelPath, f.Registry);
        var exportedState = exported.state_dict();
        foreach (var (name, value) in f.BaseState)
        {
            Assert.True(Same(value, f.Live[name]), $"live {name} changed");
            Assert.True(Same(value, exportedState[name]), $"exported {name} changed");
            if (name.StartsWith("decoder.", StringComparison.Ordinal)) Assert.True(Same(value, f.Ema[name]), $"EMA {name} changed");
        }
        Assert.Equal(ModelCheckpoint.StateIdentity(f.BaseState), ModelCheckpoint.StateIdentity(exportedState.Where(kv => f.BaseState.ContainsKey(kv.Key))));
    }

    [Fact]
    public void Training_a_plugin_changes_its_parameters_and_optimises_nothing_else()
    {
        var plugin = f.Live.Keys.Where(k => k.StartsWith($"decoder.blocks.{PluginFineTune.Key}.", StringComparison.Ordinal)).ToList();
        Assert.Equal(f.Live.Count, f.BaseState.Count + plugin.Count);
        Assert.Equal(0f, f.Initial[$"decoder.blocks.{PluginFineTune.Key}.gamma"].item<float>());
        foreach (var p in new[] { "gamma", "weight", "bias", "style_weight", "style_bias" })
        {
            var name = $"decoder.blocks.{PluginFineTune.Key}.{p}";
            Assert.False(Same(f.Initial[name], f.Live[name]), $"{name} did not change");
            Assert.False(Same(f.Initial[name], f.Ema[name]), $"EMA {name} did not change");
        }
        Assert.False(f.EncoderOptimised);
        Assert.Equal(plugin.Sum(k => f.Live[k].NumberOfElements), f.DecoderOptimisedElements);
    }

    [Fact]
    public void Decoding_that_bypasses_the_plugin_block_gives_the_base_output_exactly()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var baseNet = ModelCheckpoint.Load(f.BasePath);
        using var tuned = ModelCheckpoint.Load(f.ModelPath, f.Registry);
        Assert.Equal(new[] { 4, 4, 8, 8, 16, 16, 16 }, tuned.Decoder.LayerResolutions);
        var z = nn.functional.normalize(randn(3, 16), dim: 1);
        // Stopping after layer 6 (the base's last) and every lower resolution never reach the plugin block.
        Assert.True(Same(Decode(baseNet, z, 16, stop: 6), Decode(tuned, z, 16, stop: 6)));
        Assert.True(Same(Decode(baseNet, z, 8), Decode(tuned, z, 8)));
        Assert.True(Same(Decode(baseNet, z, 4), Decode(tuned, z, 4)));
        var x = Decode(baseNet, z, 16);
        Assert.True(Same(baseNet.Encoder.call(x, 1.0), tuned.Encoder.call(x, 1.0)));
        Assert.False(Decode(baseNet, z, 16).allclose(Decode(tuned, z, 16), rtol: 0, atol: 1e-6), "the trained plugin block must act on the full decode");
    }

    [Fact]
    public void The_exported_model_stores_the_base_identity_and_the_plugin_and_fails_to_load_without_it()
    {
        var file = CheckpointFile.Read(f.ModelPath);
        try
        {
            var config = ModelCheckpoint.ReadConfig(file, f.ModelPath);
            Assert.Equal(ModelCheckpoint.StateIdentity(f.BaseState), config.BaseIdentity);
            var block = Assert.Single(config.PluginBlocks);
            Assert.Equal((PluginFineTune.Key, "modulated-residual", "ModulatedResidual", "16x16"), (block.Key, block.Type, block.Plugin, block.After));
            Assert.True(Same(f.Ema[$"decoder.blocks.{PluginFineTune.Key}.gamma"], file.Tensors[$"decoder.blocks.{PluginFineTune.Key}.gamma"]));
        }
        finally
        {
            foreach (var t in file.Tensors.Values) t.Dispose();
        }
        var ex = Assert.Throws<MissingPluginException>(() => ModelCheckpoint.Load(f.ModelPath, ComponentRegistry.WithBuiltIns()));
        Assert.Contains("plugin 'ModulatedResidual'", ex.Message);
    }

    [Fact]
    public void A_stopped_plugin_fine_tune_resumes_to_the_same_model_as_an_unbroken_one()
    {
        var dir = Path.Combine(f.Dir, "stopped");
        using (var run = TrainingRun.Start(dir, PluginFineTune.Options(f.BasePath), f.Data, registry: f.Registry))
            Assert.Equal(RunOutcome.Interrupted, run.Run(maxIterations: 5));
        var missing = Assert.Throws<MissingPluginException>(() => TrainingRun.Resume(dir, f.Data));
        Assert.Contains("ModulatedResidual", missing.Message);
        // Whatever else draws from torch's default generator in between must not matter.
        manual_seed(987);
        using (randn(100)) { }
        using (var run = TrainingRun.Resume(dir, f.Data, registry: f.Registry))
        {
            Assert.Equal(5, run.Trainer.Iteration);
            Assert.Equal(RunOutcome.Finished, run.Run());
        }
        using var resumed = ModelCheckpoint.Load(Path.Combine(dir, "model.amod"), f.Registry);
        using var unbroken = ModelCheckpoint.Load(f.ModelPath, f.Registry);
        Assert.Equal(ModelCheckpoint.StateIdentity(unbroken), ModelCheckpoint.StateIdentity(resumed));
    }

    [Fact]
    public void Plugin_training_options_are_checked_with_messages_that_say_what_to_do()
    {
        var good = PluginFineTune.Options(f.BasePath);
        Assert.Contains("needs a base model", Assert.Throws<ArgumentException>(() => (good with { BaseModel = null }).Resolve()).Message);
        Assert.Contains("no-such-block", Assert.Throws<ArgumentException>(() =>
            PluginTraining.ResolveModel(good with { PluginBlocks = [PluginBlockRequest.Parse("no-such-block@16x16")] }, f.Registry)).Message);
        Assert.Contains("4x4, 8x8, 16x16", Assert.Throws<ArgumentException>(() =>
            Trainer.Create(good with { PluginBlocks = [PluginBlockRequest.Parse("modulated-residual@32x32")] }, registry: f.Registry)).Message);
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() =>
            PluginTraining.ResolveModel(good with { BaseModel = Path.Combine(f.Dir, "nope.amod") }, f.Registry)).Message);
        Assert.Contains("TYPE@AFTER", Assert.Throws<ArgumentException>(() => PluginBlockRequest.Parse("modulated-residual")).Message);
        var parsed = PluginBlockRequest.Parse("modulated-residual@8x8:res8");
        Assert.Equal(("modulated-residual", "8x8", "res8"), (parsed.Type, parsed.After, parsed.ResolvedKey));
        var resolved = PluginTraining.ResolveModel(good, f.Registry);
        Assert.Single(resolved.Model.PluginBlocks);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(resolved.Model), System.Text.Json.JsonSerializer.Serialize(PluginTraining.ResolveModel(resolved, f.Registry).Model));
    }

    [Fact]
    public void The_plugin_finetune_pipeline_trains_a_base_then_a_plugin_on_it_and_evaluates_both()
    {
        var file = Path.Combine(PluginFolders.RepoRoot(), "pipelines", "plugin-finetune.json");
        var vars = new Dictionary<string, string> { ["BASE_SAMPLES"] = "16", ["FINETUNE_SAMPLES"] = "32", ["FACES"] = "40", ["PAIRS"] = "4" };
        var pipeline = PipelineDefinition.Load(file, vars, Path.Combine(f.Dir, "pipeline"));
        Assert.Equal(PipelineOutcome.Finished, new PipelineRunner(f.Registry, CPU, new StringWriter(), consoleLifetime: false).Run(pipeline));
        using var baseNet = ModelCheckpoint.Load(Path.Combine(pipeline.RunFolder, "base", "model.amod"));
        using var tuned = ModelCheckpoint.Load(Path.Combine(pipeline.RunFolder, "finetune", "model.amod"), f.Registry);
        Assert.Equal(ModelCheckpoint.StateIdentity(baseNet), tuned.Config.BaseIdentity);
        var tunedState = tuned.state_dict();
        Assert.Equal(tuned.Config.BaseIdentity, ModelCheckpoint.StateIdentity(tunedState.Where(kv => !tuned.IsPluginParameter(kv.Key))));
        Assert.Equal("residual16x16", Assert.Single(tuned.Config.PluginBlocks).Key);
        Assert.True(File.Exists(Path.Combine(pipeline.RunFolder, "evaluate", "evaluation.json")));
        Assert.True(File.Exists(Path.Combine(pipeline.RunFolder, "evaluate-base", "evaluation.json")));
    }
}
