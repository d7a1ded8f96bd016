using Automodulator.Abstractions;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using Automodulator.Hosting.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Tests.Plugins;

public sealed class PluginBlockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-pblock-").FullName;
    private readonly ComponentRegistry _registry = new PluginHost(ComponentRegistry.WithBuiltIns()).LoadAll([PluginFolders.Samples]).Registry;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ModelConfig Base() => new()
    {
        Preset = "test", MaxResolution = 16, LatentDim = 16, EncoderChannels = [8, 8, 8], DecoderChannels = [8, 8, 8],
    };

    private static ModelConfig WithResidual(ModelConfig b) => b with
    {
        PluginBlocks = [new PluginBlockConfig { Key = "residual8x8", Type = "modulated-residual", Plugin = "ModulatedResidual", After = "8x8" }],
    };

    private static Tensor Decode(AutomodulatorNetwork net, Tensor z, int? stop = null)
    {
        net.eval();
        net.Decoder.NoiseEnabled = false;
        return net.Decoder.call(LayerLatents.Uniform(z, net.Decoder.LayerCount), new DecodeSpec(16, StopAfterLayer: stop));
    }

    [Fact]
    public void Inserted_plugin_block_adds_a_layer_and_leaves_the_base_output_unchanged()
    {
        using var baseNet = AutomodulatorNetwork.Create(Base(), seed: 1);
        using var net = new AutomodulatorNetwork(WithResidual(Base()), _registry);
        var baseState = baseNet.state_dict();
        ModelCheckpoint.LoadState(net, baseState.ToDictionary(kv => kv.Key, kv => kv.Value)
            .Concat(net.state_dict().Where(kv => net.IsPluginParameter(kv.Key)))
            .ToDictionary(kv => kv.Key, kv => kv.Value), "test", "");
        Assert.Equal(new[] { 4, 4, 8, 8, 8, 16, 16 }, net.Decoder.LayerResolutions);
        Assert.Contains("decoder.blocks.residual8x8.gamma", net.state_dict().Keys);

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(randn(2, 16), dim: 1);
        Assert.True(Decode(baseNet, z).eq(Decode(net, z)).all().item<bool>(), "a fresh residual block (γ = 0) must not change the output");
        // Bypassed (decoding stops before it): identical regardless of the plugin's weights.
        foreach (var p in net.named_parameters().Where(p => net.IsPluginParameter(p.name))) p.parameter.add_(0.3);
        Assert.True(Decode(baseNet, z, stop: 4).eq(Decode(net, z, stop: 4)).all().item<bool>());
        Assert.False(Decode(baseNet, z).allclose(Decode(net, z), rtol: 0, atol: 1e-4), "an active plugin block must change the output");
    }

    [Fact]
    public void Checkpoint_with_a_plugin_block_loads_with_the_plugin_and_names_it_when_missing()
    {
        var path = Path.Combine(_dir, "p.amod");
        using (var net = AutomodulatorNetwork.Create(WithResidual(Base()), 2, _registry)) ModelCheckpoint.Save(net, path);
        using (var loaded = ModelCheckpoint.Load(path, _registry))
            Assert.Equal("residual8x8", loaded.Config.PluginBlocks.Single().Key);
        var ex = Assert.Throws<MissingPluginException>(() => ModelCheckpoint.Load(path, ComponentRegistry.WithBuiltIns()));
        Assert.Contains("plugin 'ModulatedResidual'", ex.Message);
        Assert.Contains("plugins/ModulatedResidual/ModulatedResidual.dll", ex.Message);
    }

    [Fact]
    public void Freezing_the_base_leaves_only_plugin_parameters_trainable()
    {
        using var net = AutomodulatorNetwork.Create(WithResidual(Base()), 3, _registry);
        long trainable = net.FreezeBase();
        var grads = net.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.NotEmpty(grads);
        Assert.All(grads, n => Assert.StartsWith("decoder.blocks.residual8x8.", n));
        Assert.Equal(trainable, net.named_parameters().Where(p => p.parameter.requires_grad).Sum(p => p.parameter.NumberOfElements));
    }

    [Fact]
    public void A_plugin_block_after_an_unknown_block_is_rejected_with_the_known_keys()
    {
        var config = Base() with
        {
            PluginBlocks = [new PluginBlockConfig { Key = "r", Type = "modulated-residual", Plugin = "ModulatedResidual", After = "64x64" }],
        };
        var ex = Assert.Throws<ArgumentException>(() => new AutomodulatorNetwork(config, _registry));
        Assert.Contains("4x4, 8x8, 16x16", ex.Message);
    }
}
