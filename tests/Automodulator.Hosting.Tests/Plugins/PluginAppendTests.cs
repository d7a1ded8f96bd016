using System.Reflection;
using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using Automodulator.Core.Training;
using Automodulator.Data.Ingest.Sources;
using Automodulator.Hosting.Ingest;
using Automodulator.Hosting.Pipelines;
using Automodulator.Hosting.Plugins;
using Automodulator.Hosting.Training;
using TorchSharp;
using static TorchSharp.torch;
using Automodulator.Tests.Shared;
using static Automodulator.Tests.Shared.ModelTestSupport;

namespace Automodulator.Hosting.Tests.Plugins;

/// <summary>
/// One append fine-tune with a plugin block shared by the tests: an 8×8 base grown to 16×16 by a modulated-residual
/// block of width 4 (so its skip path is a projection and the new encoder level narrows too), trained alone for 12
/// iterations with layer noise on (the plugin draws it from the trainer's generator), exported as model.amod.
/// </summary>
public sealed class PluginAppendFineTune() : FrozenBaseRun("automod-pappend-", BaseConfig, path => Options(path, SampleRegistry), SampleData, SampleRegistry)
{
    private static readonly ComponentRegistry SampleRegistry = new PluginHost(ComponentRegistry.WithBuiltIns()).LoadAll([PluginFolders.Samples]).Registry;
    private static readonly ImageSourceSet SampleData = ImageSourceSet.Synthetic(24, 16, seed: 5);

    public ComponentRegistry Registry => SampleRegistry;
    public ImageSourceSet Data => SampleData;

    public static ModelConfig BaseConfig => new()
    {
        Preset = "test", MaxResolution = 8, LatentDim = 16, EncoderChannels = [8, 8], DecoderChannels = [8, 8],
    };

    public static TrainingOptions Options(string basePath, ComponentRegistry registry) => PluginTraining.ResolveModel(new TrainingOptions
    {
        Seed = 4,
        BaseModel = basePath,
        AppendBlock = AppendBlockRequest.Parse("modulated-residual", channels: 4),
        TrainOnly = PluginTraining.TrainPlugins,
        Schedule = FineTuneSchedule.Append(16, samples: 48, batch: 4),
        EmaDecay = 0.9,
        HeldOutImages = 4,
        CheckpointEverySamples = 0,
        SnapshotEverySamples = 0,
        LogFlushEveryIterations = 4,
    }, registry);
}

public sealed class PluginAppendTests(PluginAppendFineTune f) : IClassFixture<PluginAppendFineTune>, IDisposable
{
    private static readonly string[] NewLevel = AppendedBlockConfig.StatePrefixesAt(16).ToArray();
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-pappend-t-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Training_an_appended_plugin_block_leaves_the_base_bit_identical_and_trains_only_the_new_level()
    {
        Assert.Equal(RunOutcome.Finished, f.Outcome);
        using var exported = ModelCheckpoint.Load(f.ModelPath, f.Registry);
        var exportedState = exported.state_dict();
        foreach (var (name, value) in f.BaseState)
        {
            Assert.True(Same(value, f.Live[name]), $"live {name} changed");
            Assert.True(Same(value, exportedState[name]), $"exported {name} changed");
            if (name.StartsWith("decoder.", StringComparison.Ordinal)) Assert.True(Same(value, f.Ema[name]), $"EMA {name} changed");
        }
        Assert.All(f.Optimised, n => Assert.True(AutomodulatorNetwork.IsUnderAny(n, NewLevel), $"{n} is optimised but not part of the new level"));
        var newParameters = exported.named_parameters().Select(p => p.name).Where(n => AutomodulatorNetwork.IsUnderAny(n, NewLevel)).ToList();
        Assert.Equal(newParameters.Order(), f.Optimised.Order());
        // The plugin's own parameters (skip projection and γ included) and the new encoder level all trained.
        foreach (var p in new[] { "gamma", "weight", "skip_weight", "style_weight", "noise_scale" })
            Assert.Contains($"decoder.blocks.16x16.{p}", newParameters);
        foreach (var name in newParameters)
            Assert.False(Same(f.Initial[name], f.Live[name]), $"{name} did not change");
        Assert.Equal(new long[] { 4, 8, 1, 1 }, f.Live["decoder.blocks.16x16.skip_weight"].shape);
        Assert.Equal(new long[] { 8, 4, 3, 3 }, f.Live["encoder.blocks.16x16.conv1.weight"].shape);
    }

    [Fact]
    public void With_alpha_0_the_model_grown_by_a_plugin_block_is_exactly_the_base()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var baseNet = ModelCheckpoint.Load(f.BasePath);
        using var grown = ModelCheckpoint.Load(f.ModelPath, f.Registry);
        Assert.Equal(new[] { 4, 4, 8, 8, 16 }, grown.Decoder.LayerResolutions);
        var z = nn.functional.normalize(randn(3, 16), dim: 1);
        var baseImage = Decode(baseNet, z, 8);
        Assert.True(Same(baseImage, Decode(grown, z, 8)));
        var upsampled = nn.functional.interpolate(baseImage, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        Assert.True(Same(upsampled, Decode(grown, z, 16, 0.0)));
        Assert.False(upsampled.allclose(Decode(grown, z, 16, 1.0), rtol: 0, atol: 1e-4), "the trained level must act at α = 1");
        var x = Decode(grown, z, 16, 1.0).clamp(-1, 1);
        Assert.True(Same(baseNet.Encoder.call(nn.functional.avg_pool2d(x, 2), 1.0), grown.Encoder.call(x, 0.0)));
    }

    [Fact]
    public void The_grown_model_records_the_appended_plugin_block_and_fails_to_load_without_the_plugin()
    {
        var file = CheckpointFile.Read(f.ModelPath);
        ModelConfig config;
        try { config = ModelCheckpoint.ReadConfig(file, f.ModelPath); }
        finally { foreach (var t in file.Tensors.Values) t.Dispose(); }
        var appended = Assert.Single(config.AppendedBlocks);
        Assert.Equal((16, "modulated-residual", "ModulatedResidual"), (appended.Resolution, appended.Type, appended.Plugin));
        Assert.Equal(ModelCheckpoint.StateIdentity(f.BaseState), config.BaseIdentity);
        using (var grown = ModelCheckpoint.Load(f.ModelPath, f.Registry))
            Assert.Equal(config.BaseIdentity, ModelCheckpoint.BaseIdentityOf(grown));

        var ex = Assert.Throws<MissingPluginException>(() => ModelCheckpoint.Load(f.ModelPath, ComponentRegistry.WithBuiltIns()));
        Assert.Contains("appended 16×16 decoder block", ex.Message);
        Assert.Contains("plugin 'ModulatedResidual'", ex.Message);
        Assert.Equal("ModulatedResidual", ex.Plugin);
        Assert.Throws<MissingPluginException>(() => ModelCheckpoint.Load(f.ModelPath));
    }

    [Fact]
    public void A_stopped_append_fine_tune_with_layer_noise_resumes_to_the_same_model_as_an_unbroken_one()
    {
        var dir = Path.Combine(_dir, "stopped");
        using (var run = TrainingRun.Start(dir, PluginAppendFineTune.Options(f.BasePath, f.Registry), f.Data, registry: f.Registry))
            Assert.Equal(RunOutcome.Interrupted, run.Run(maxIterations: 5));
        Assert.Contains("ModulatedResidual", Assert.Throws<MissingPluginException>(() => TrainingRun.Resume(dir, f.Data)).Message);
        // Whatever else draws from torch's default generator in between must not matter.
        manual_seed(987);
        using (randn(100)) { }
        using (var run = TrainingRun.Resume(dir, f.Data, registry: f.Registry))
            Assert.Equal(RunOutcome.Finished, run.Run());
        using var resumed = ModelCheckpoint.Load(Path.Combine(dir, "model.amod"), f.Registry);
        using var unbroken = ModelCheckpoint.Load(f.ModelPath, f.Registry);
        Assert.Equal(ModelCheckpoint.StateIdentity(unbroken), ModelCheckpoint.StateIdentity(resumed));
    }

    [Fact]
    public void The_residual_plugin_draws_its_layer_noise_from_the_installed_generator()
    {
        var block = f.Registry.CreateBlock("modulated-residual", new BlockSpec(4, 4, 8, false, 8, new Dictionary<string, string>()));
        using (no_grad()) block.named_parameters().Single(p => p.name == "noise_scale").parameter.fill_(1.0);
        using (no_grad()) block.named_parameters().Single(p => p.name == "gamma").parameter.fill_(1.0);
        using var _ = no_grad();
        var x = randn(2, 4, 8, 8);
        var z = nn.functional.normalize(randn(2, 8), dim: 1);
        Tensor Run(ulong seed)
        {
            using var generator = new Generator(seed);
            using var scope = LayerNoiseSource.Use(generator);
            manual_seed((long)seed + 1000 * Random.Shared.Next(1, 100)); // the default generator's state must not matter
            return block.call(x, [z]);
        }
        Assert.True(Same(Run(1), Run(1)));
        Assert.False(Same(Run(1), Run(2)));
        block.NoiseEnabled = false;
        Assert.True(Same(Run(1), Run(2)));
    }

    [Fact]
    public async Task A_cache_without_the_appended_resolution_is_refused_with_what_to_do()
    {
        var cache = Path.Combine(_dir, "cache8");
        using (var source = new SyntheticIngestSource(6, seed: 3))
            await new IngestPipeline(source, new IngestOptions { Output = cache, Resolution = 8, Workers = 1, ShardSize = 3, ChannelCapacity = 2 }).RunAsync();
        var ex = Assert.Throws<ArgumentException>(() => ImageSourceSet.Cache(cache, 16, "the appended level trains at 16×16"));
        Assert.Contains("lacks resolution(s) 16", ex.Message);
        Assert.Contains("appended level", ex.Message);
        Assert.Contains("--resolution 16", ex.Message);
    }

    [Fact]
    public void Plugins_built_against_another_major_or_a_newer_minor_contract_are_refused()
    {
        // The contracts assembly's version is the contract version the host compares against.
        var own = typeof(ContractVersion).Assembly.GetName().Version!;
        Assert.Equal((ContractVersion.Major, ContractVersion.Minor), (own.Major, own.Minor));
        AssemblyName Ref(int major, int minor) => new("Automodulator.Abstractions") { Version = new Version(major, minor, 0, 0) };
        Assert.Null(PluginHost.ContractProblem(Ref(ContractVersion.Major, ContractVersion.Minor)));
        Assert.Null(PluginHost.ContractProblem(Ref(ContractVersion.Major, 0)));
        Assert.Contains("newer than this host's", PluginHost.ContractProblem(Ref(ContractVersion.Major, ContractVersion.Minor + 1)));
        Assert.Contains("Rebuild it", PluginHost.ContractProblem(Ref(ContractVersion.Major + 1, 0)));
        // The sample plugins reference this very contract version and load.
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(PluginFolders.Samples, "ModulatedResidual", "ModulatedResidual.dll")));
        var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var contracts = md.AssemblyReferences.Select(md.GetAssemblyReference).Single(r => md.GetString(r.Name) == "Automodulator.Abstractions");
        Assert.Equal(own, contracts.Version);
    }

    [Fact]
    public void The_plugin_append_pipeline_trains_a_base_grows_it_and_edits_with_the_grown_model()
    {
        var file = Path.Combine(PluginFolders.RepoRoot(), "pipelines", "plugin-append.json");
        var vars = new Dictionary<string, string> { ["BASE_SAMPLES"] = "16", ["APPEND_SAMPLES"] = "16", ["FACES"] = "30", ["PAIRS"] = "4" };
        var pipeline = PipelineDefinition.Load(file, vars, Path.Combine(_dir, "pipeline"));
        Assert.Equal(PipelineOutcome.Finished, new PipelineRunner(f.Registry, CPU, new StringWriter(), consoleLifetime: false).Run(pipeline));
        using var baseNet = ModelCheckpoint.Load(Path.Combine(pipeline.RunFolder, "base", "model.amod"));
        using var grown = ModelCheckpoint.Load(Path.Combine(pipeline.RunFolder, "append", "model.amod"), f.Registry);
        Assert.Equal(2 * baseNet.Config.MaxResolution, grown.Config.MaxResolution);
        Assert.Equal("modulated-residual", Assert.Single(grown.Config.AppendedBlocks).Type);
        Assert.Equal(ModelCheckpoint.StateIdentity(baseNet), grown.Config.BaseIdentity);
        Assert.Equal(grown.Config.BaseIdentity, ModelCheckpoint.BaseIdentityOf(grown));
        Assert.Empty(ModelCheckpoint.BaseDifferences(grown, baseNet));
        Assert.True(File.Exists(Path.Combine(pipeline.RunFolder, "evaluate", "evaluation.json")));
    }
}
