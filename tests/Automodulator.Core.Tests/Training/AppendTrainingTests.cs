using System.Text.Json;
using Automodulator.Abstractions;
using Automodulator.Abstractions.Data;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using Automodulator.Tests.Shared;
using static Automodulator.Tests.Shared.ModelTestSupport;

namespace Automodulator.Core.Tests.Training;

/// <summary>
/// One append fine-tune shared by the tests: an 8×8 base (saved as base.amod) grown by the built-in block to 16×16
/// and trained for 12 iterations with the base frozen: the first 6 fade the new level in from 8×8 (append-16 with
/// a fade over half the phase), layer noise on. Exported as model.amod.
/// </summary>
public sealed class AppendFineTune() : FrozenBaseRun("automod-append-", BaseConfig, Options, SampleData)
{
    private static readonly SyntheticFaceSet SampleData = new(24, 16, seed: 5);

    public IImageSet Data => SampleData;

    /// <summary>One parsed JSONL line per iteration of the run's log.</summary>
    public IReadOnlyList<JsonElement> Log => _log ??= File.ReadAllLines(LogFile).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    private List<JsonElement>? _log;

    public static ModelConfig BaseConfig => TestConfigs.Tiny(8, channels: 8, latent: 16);

    /// <summary>12 iterations of 4 at 16×16, fading in over the first 24 samples.</summary>
    public static TrainingOptions Options(string basePath) => PluginTraining.ResolveModel(new TrainingOptions
    {
        Seed = 4,
        BaseModel = basePath,
        AppendBlock = AppendBlockRequest.Parse("builtin"),
        TrainOnly = PluginTraining.TrainPlugins,
        Schedule = FineTuneSchedule.Append(16, samples: 48, batch: 4),
        EmaDecay = 0.9, // not 0.5: 0.5·w + 0.5·w == w exactly, which would hide an EMA that rewrites frozen weights
        HeldOutImages = 4,
        CheckpointEverySamples = 0,
        SnapshotEverySamples = 0,
        LogFlushEveryIterations = 4,
    }, null);

    public static IReadOnlyDictionary<string, Tensor> ReadTensors(string path) => CheckpointFile.Read(path).Tensors;
}

[Collection("Training")]
public sealed class AppendTrainingTests(AppendFineTune f) : IClassFixture<AppendFineTune>
{
    private static readonly string[] NewLevel = AppendedBlockConfig.StatePrefixesAt(16).ToArray();

    [Fact]
    public void Appending_grows_the_model_by_one_level_shaped_like_a_progressive_phase()
    {
        var options = AppendFineTune.Options(f.BasePath);
        var config = options.Model;
        Assert.Equal(16, config.MaxResolution);
        Assert.Equal(new[] { 8, 8, 8 }, config.DecoderChannels);
        Assert.Equal(new[] { 8, 8, 8 }, config.EncoderChannels);
        var appended = Assert.Single(config.AppendedBlocks);
        Assert.Equal((16, "modulated-conv", "built-in", "16x16"), (appended.Resolution, appended.Type, appended.Plugin, appended.Key));
        Assert.Equal(NewLevel, config.AddedToBase);
        Assert.Equal("append-16", options.Schedule.Name);

        using var grown = AutomodulatorNetwork.Create(config, seed: 3);
        using var plain16 = AutomodulatorNetwork.Create(TestConfigs.Tiny(16, channels: 8, latent: 16), seed: 3);
        // The same tensors, with the same shapes, as a model grown progressively to 16×16.
        Assert.Equal(plain16.state_dict().Select(kv => (kv.Key, string.Join(",", kv.Value.shape))).Order(),
            grown.state_dict().Select(kv => (kv.Key, string.Join(",", kv.Value.shape))).Order());
        Assert.Equal(new[] { 4, 4, 8, 8, 16, 16 }, grown.Decoder.LayerResolutions);
        Assert.Equal(f.BaseState.Keys.Order(), grown.state_dict().Keys.Where(k => !AutomodulatorNetwork.IsUnderAny(k, NewLevel)).Order());

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(randn(2, 16), dim: 1);
        Assert.Equal(new long[] { 2, 3, 16, 16 }, Decode(grown, z, 16, 0.5).shape);
        Assert.Equal(new long[] { 2, 16 }, grown.Encoder.call(randn(2, 3, 16, 16), 0.5).shape);
    }

    [Fact]
    public void Training_the_appended_level_leaves_every_base_parameter_and_buffer_bit_identical()
    {
        Assert.Equal(RunOutcome.Finished, f.Outcome);
        // The frozen encoder's spectral-norm buffers are part of the base and are compared too.
        Assert.Contains("encoder.blocks.8x8.conv0.weight_u", f.BaseState.Keys);
        using var exported = ModelCheckpoint.Load(f.ModelPath);
        var exportedState = exported.state_dict();
        foreach (var (name, value) in f.BaseState)
        {
            Assert.True(Same(value, f.Live[name]), $"live {name} changed");
            Assert.True(Same(value, exportedState[name]), $"exported {name} changed");
            if (name.StartsWith("decoder.", StringComparison.Ordinal)) Assert.True(Same(value, f.Ema[name]), $"EMA {name} changed");
        }
        using var baseNet = ModelCheckpoint.Load(f.BasePath);
        Assert.Empty(ModelCheckpoint.BaseDifferences(exported, baseNet));
        // The new encoder block's convs are trained: their power iteration runs and moves their own buffers.
        Assert.False(Same(f.Initial["encoder.blocks.16x16.conv0.weight_u"], f.Live["encoder.blocks.16x16.conv0.weight_u"]));
    }

    [Fact]
    public void Only_the_appended_level_is_optimised_and_every_one_of_its_parameters_changes()
    {
        var newParameters = f.Initial.Keys.Where(k => AutomodulatorNetwork.IsUnderAny(k, NewLevel) && f.Optimised.Contains(k)).ToList();
        Assert.All(f.Optimised, n => Assert.True(AutomodulatorNetwork.IsUnderAny(n, NewLevel), $"{n} is optimised but not part of the new level"));
        using var net = AutomodulatorNetwork.Create(AppendFineTune.Options(f.BasePath).Model, seed: 1);
        var expected = net.named_parameters().Select(p => p.name).Where(n => AutomodulatorNetwork.IsUnderAny(n, NewLevel)).ToList();
        Assert.Equal(expected.Order(), f.Optimised.Order());
        foreach (var prefix in NewLevel) Assert.Contains(expected, n => n.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var name in expected)
        {
            Assert.False(Same(f.Initial[name], f.Live[name]), $"{name} did not change");
            if (name.StartsWith("decoder.", StringComparison.Ordinal)) Assert.False(Same(f.Initial[name], f.Ema[name]), $"EMA {name} did not change");
        }
        Assert.NotEmpty(newParameters);
    }

    [Fact]
    public void The_first_phase_fades_the_new_level_in_from_the_base_resolution()
    {
        Assert.Equal(12, f.Log.Count);
        var alphas = f.Log.Select(l => l.GetProperty("alpha").GetDouble()).ToList();
        Assert.All(f.Log, l => Assert.Equal(16, l.GetProperty("resolution").GetInt32()));
        // Batches of 4 over a fade of 24 samples: α = 0, 1/6, …, 5/6, then 1.
        Assert.Equal(Enumerable.Range(0, 6).Select(i => Math.Round(i / 6.0, 6)).Concat(Enumerable.Repeat(1.0, 6)), alphas);
    }

    [Fact]
    public void With_alpha_0_the_grown_model_is_exactly_the_base()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var baseNet = ModelCheckpoint.Load(f.BasePath);
        using var grown = ModelCheckpoint.Load(f.ModelPath);
        var z = nn.functional.normalize(randn(3, 16), dim: 1);
        var baseImage = Decode(baseNet, z, 8);
        Assert.True(Same(baseImage, Decode(grown, z, 8)), "decoding at the base's resolution must give the base's output");
        var upsampled = nn.functional.interpolate(baseImage, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        Assert.True(Same(upsampled, Decode(grown, z, 16, 0.0)), "at α = 0 the 16×16 output must be the base's, upsampled");
        Assert.False(upsampled.allclose(Decode(grown, z, 16, 1.0), rtol: 0, atol: 1e-4), "the trained level must act at α = 1");

        var x = Decode(grown, z, 16, 1.0).clamp(-1, 1);
        Assert.True(Same(baseNet.Encoder.call(nn.functional.avg_pool2d(x, 2), 1.0), grown.Encoder.call(x, 0.0)),
            "at α = 0 the encoder must be the base's on the downsampled image");
        Assert.True(Same(baseNet.Encoder.call(nn.functional.avg_pool2d(x, 2), 1.0), grown.Encoder.call(nn.functional.avg_pool2d(x, 2), 1.0)));
    }

    [Fact]
    public void The_exported_model_records_the_appended_block_and_the_base_identity_checked_by_tensor_name()
    {
        using var grown = ModelCheckpoint.Load(f.ModelPath);
        var config = grown.Config;
        Assert.Equal(ModelCheckpoint.StateIdentity(f.BaseState), config.BaseIdentity);
        Assert.Equal((16, "modulated-conv", "built-in"), (config.AppendedBlocks[0].Resolution, config.AppendedBlocks[0].Type, config.AppendedBlocks[0].Plugin));
        Assert.Equal(config.BaseIdentity, ModelCheckpoint.BaseIdentityOf(grown));

        // Round trip: save and load again, same state and configuration.
        var copy = Path.Combine(f.Dir, "copy.amod");
        ModelCheckpoint.Save(grown, copy);
        using (var again = ModelCheckpoint.Load(copy))
        {
            Assert.Equal(ModelCheckpoint.StateIdentity(grown), ModelCheckpoint.StateIdentity(again));
            Assert.Equal(JsonSerializer.Serialize(config), JsonSerializer.Serialize(again.Config));
        }

        // A base tensor that moves is caught by name; a new-level tensor is not part of the identity.
        using (no_grad()) grown.state_dict()["decoder.to_rgb.16x16.bias"].add_(1);
        Assert.Equal(config.BaseIdentity, ModelCheckpoint.BaseIdentityOf(grown));
        using (no_grad()) grown.state_dict()["encoder.blocks.8x8.conv1.weight_sigma"].add_(1);
        Assert.NotEqual(config.BaseIdentity, ModelCheckpoint.BaseIdentityOf(grown));
        using var baseNet = ModelCheckpoint.Load(f.BasePath);
        Assert.Equal(new[] { "encoder.blocks.8x8.conv1.weight_sigma" }, ModelCheckpoint.BaseDifferences(grown, baseNet));
    }

    [Fact]
    public void A_stopped_append_fine_tune_resumes_to_the_same_model_as_an_unbroken_one()
    {
        var dir = Path.Combine(f.Dir, "stopped");
        using (var run = TrainingRun.Start(dir, AppendFineTune.Options(f.BasePath), f.Data))
            Assert.Equal(RunOutcome.Interrupted, run.Run(maxIterations: 5));
        using (var run = TrainingRun.Resume(dir, f.Data))
        {
            Assert.Equal(5, run.Trainer.Iteration);
            Assert.Equal(RunOutcome.Finished, run.Run());
        }
        using var resumed = ModelCheckpoint.Load(Path.Combine(dir, "model.amod"));
        using var unbroken = ModelCheckpoint.Load(f.ModelPath);
        Assert.Equal(ModelCheckpoint.StateIdentity(unbroken), ModelCheckpoint.StateIdentity(resumed));
    }

    [Fact]
    public void Append_options_are_checked_with_messages_that_say_what_to_do()
    {
        var good = AppendFineTune.Options(f.BasePath);
        Assert.Contains("needs a base model", Assert.Throws<ArgumentException>(() =>
            PluginTraining.ResolveModel(good with { BaseModel = null }, null)).Message);
        Assert.Contains("append-16", Assert.Throws<ArgumentException>(() =>
            (good with { Schedule = FineTuneSchedule.Create(16) }).Resolve()).Message);
        Assert.Contains("no-such-block", Assert.Throws<ArgumentException>(() =>
            PluginTraining.ResolveModel(good with { AppendBlock = AppendBlockRequest.Parse("no-such-block") }, null)).Message);
        Assert.Contains("block type", Assert.Throws<ArgumentException>(() => AppendBlockRequest.Parse("two words")).Message);
        // Resolving again starts from the base file: the model grows once, not twice.
        Assert.Equal(JsonSerializer.Serialize(good.Model), JsonSerializer.Serialize(PluginTraining.ResolveModel(good, null).Model));
        var wide = PluginTraining.ResolveModel(good with { AppendBlock = AppendBlockRequest.Parse("builtin", channels: 4) }, null);
        Assert.Equal(new[] { 8, 8, 4 }, wide.Model.DecoderChannels);
        Assert.Equal(new[] { 8, 8, 4 }, wide.Model.EncoderChannels);
    }

    [Fact]
    public void Append_schedules_fade_their_first_phase_in_from_the_start_resolution()
    {
        var s = SchedulePresets.Get("append-32");
        Assert.Equal((16, 32, 0.5), (s.StartResolution!.Value, s.Phases[0].Resolution, s.Phases[0].FadeInShare));
        Assert.Equal(0.0, s.AlphaOf(0, 0));
        Assert.Equal(0.5, s.AlphaOf(0, s.Phases[0].Samples / 4));
        Assert.Equal(1.0, s.AlphaOf(0, s.Phases[0].Samples / 2));
        Assert.Equal(0.001, SchedulePresets.Get("append-64").Phases[0].LearningRate);
        // Without a start resolution (or at the same one) the first phase does not fade.
        Assert.Equal(1.0, (s with { StartResolution = null }).AlphaOf(0, 0));
        Assert.Equal(1.0, FineTuneSchedule.Create(32).AlphaOf(0, 0));
        Assert.Contains("double", Assert.Throws<ArgumentException>(() => (s with { StartResolution = 8 }).Validate()).Message);
        Assert.Contains("append-R", Assert.Throws<ArgumentException>(() => SchedulePresets.Get("append-4")).Message);
    }
}
