using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (Tensor Image, Tensor Latent) Outputs(AutomodulatorNetwork net)
    {
        net.eval();
        net.Decoder.NoiseEnabled = false;
        var z = nn.functional.normalize(randn([2, 16], generator: new Generator(9)), dim: 1);
        var img = net.Decoder.Decode(z, 16);
        return (img, net.Encoder.call(img, 1.0));
    }

    [Fact]
    public void Save_then_load_reproduces_outputs_bit_for_bit()
    {
        var path = Path.Combine(_dir, "m.amod");
        using var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(16, extraLayer: 8), seed: 21);
        // A training forward pass moves the spectral-norm vectors; they must survive the round trip.
        net.train();
        using (var s = NewDisposeScope()) net.Encoder.call(randn(2, 3, 16, 16), 1.0);
        using var scope = NewDisposeScope();
        var (img, lat) = Outputs(net);
        ModelCheckpoint.Save(net, path);
        using var loaded = ModelCheckpoint.Load(path);
        Assert.Equal(net.Config.ExtraLayerResolution, loaded.Config.ExtraLayerResolution);
        Assert.Equal(net.state_dict().Keys, loaded.state_dict().Keys);
        var (img2, lat2) = Outputs(loaded);
        Assert.True(img.eq(img2).all().item<bool>());
        Assert.True(lat.eq(lat2).all().item<bool>());
    }

    [Fact]
    public void Parameter_names_are_stable_and_readable()
    {
        using var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(16), seed: 1);
        var keys = net.state_dict().Keys.ToHashSet();
        Assert.Contains("encoder.blocks.16x16.conv0.weight", keys);
        Assert.Contains("encoder.blocks.16x16.conv0.weight_u", keys);
        Assert.Contains("encoder.blocks.4x4.conv1.weight_sigma", keys);
        Assert.Contains("encoder.from_rgb.8x8.weight", keys);
        Assert.Contains("decoder.constant", keys);
        Assert.Contains("decoder.blocks.8x8.convs.1.weight", keys);
        Assert.Contains("decoder.blocks.8x8.adains.0.style.weight", keys);
        Assert.Contains("decoder.blocks.8x8.noises.1.scale", keys);
        Assert.Contains("decoder.to_rgb.16x16.bias", keys);
    }

    [Fact]
    public void Truncated_checkpoint_fails_with_a_clear_message()
    {
        var path = Path.Combine(_dir, "m.amod");
        using (var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(8), seed: 1)) ModelCheckpoint.Save(net, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(path));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Flipped_byte_fails_the_checksum()
    {
        var path = Path.Combine(_dir, "m.amod");
        using (var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(8), seed: 1)) ModelCheckpoint.Save(net, path);
        var bytes = File.ReadAllBytes(path);
        bytes[^100] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(path));
        Assert.Contains("corrupt", ex.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_named_as_such()
    {
        var path = Path.Combine(_dir, "not.amod");
        File.WriteAllText(path, "hello, I am a text file and not a model");
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(path));
        Assert.Contains("not an automodulator checkpoint", ex.Message);
        Assert.Contains("does not exist", Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(path + ".missing")).Message);
    }

    [Fact]
    public void Tensors_that_do_not_match_the_configuration_are_named()
    {
        var path = Path.Combine(_dir, "m.amod");
        using var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(8), seed: 1);
        var state = net.state_dict().Where(kv => kv.Key != "decoder.constant").Select(kv => (kv.Key, kv.Value)).ToList();
        var meta = new System.Text.Json.Nodes.JsonObject
        {
            ["config"] = System.Text.Json.JsonSerializer.SerializeToNode(net.Config),
        };
        CheckpointFile.Write(path, ModelCheckpoint.Kind, meta, state);
        var ex = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(path));
        Assert.Contains("missing: decoder.constant", ex.Message);
    }

    [Fact]
    public void Checkpoint_rebuilds_the_model_from_its_configuration_alone()
    {
        var path = Path.Combine(_dir, "m.amod");
        var config = TestConfigs.Tiny(32, channels: 4, latent: 8, extraLayer: 8) with { Preset = "custom" };
        using (var net = AutomodulatorNetwork.Create(config, seed: 2)) ModelCheckpoint.Save(net, path);
        var file = CheckpointFile.Read(path);
        var read = ModelCheckpoint.ReadConfig(file, path);
        foreach (var t in file.Tensors.Values) t.Dispose();
        Assert.Equal(32, read.MaxResolution);
        Assert.Equal(8, read.LatentDim);
        Assert.Equal(config.DecoderChannels, read.DecoderChannels);
        Assert.Equal(8, read.ExtraLayerResolution);
    }
}
