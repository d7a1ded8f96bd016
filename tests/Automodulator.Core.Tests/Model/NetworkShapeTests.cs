using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Model;

public class NetworkShapeTests
{
    private static readonly AutomodulatorNetwork Net = AutomodulatorNetwork.Create(TestConfigs.Tiny(256, channels: 4, latent: 8), seed: 1);

    public static TheoryData<int, double> ResolutionsAndAlphas()
    {
        var data = new TheoryData<int, double>();
        foreach (var r in new[] { 4, 8, 16, 32, 64, 128, 256 })
            foreach (var a in new[] { 0.0, 0.5, 1.0 })
                data.Add(r, a);
        return data;
    }

    [Theory]
    [MemberData(nameof(ResolutionsAndAlphas))]
    public void Decoder_outputs_rgb_at_every_resolution_during_and_after_fade_in(int resolution, double alpha)
    {
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(randn(2, 8), dim: 1);
        var x = Net.Decoder.Decode(z, resolution, alpha);
        Assert.Equal(new long[] { 2, 3, resolution, resolution }, x.shape);
        Assert.False(x.isnan().any().item<bool>());
    }

    [Theory]
    [MemberData(nameof(ResolutionsAndAlphas))]
    public void Encoder_outputs_unit_latents_at_every_resolution_during_and_after_fade_in(int resolution, double alpha)
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3, resolution, resolution);
        var z = Net.Encoder.call(x, alpha);
        Assert.Equal(new long[] { 2, 8 }, z.shape);
        var norms = z.norm(1);
        Assert.True(norms.sub(1).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Decoder_has_two_layers_per_resolution()
    {
        Assert.Equal(14, Net.Decoder.LayerCount);
        Assert.Equal(new[] { 4, 4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256, 256 }, Net.Decoder.LayerResolutions);
    }

    [Fact]
    public void Extra_layer_is_inserted_after_layer_2_at_8x8()
    {
        using var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(16, extraLayer: 8), seed: 1);
        Assert.Equal(new[] { 4, 4, 8, 8, 8, 16, 16 }, net.Decoder.LayerResolutions);
        Assert.Contains(net.state_dict().Keys, k => k.StartsWith("decoder.blocks.extra8x8.convs.0.", StringComparison.Ordinal));
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(randn(2, 16), dim: 1);
        Assert.Equal(new long[] { 2, 3, 16, 16 }, net.Decoder.Decode(z, 16).shape);
        Assert.Equal(new long[] { 2, 3, 8, 8 }, net.Decoder.Decode(z, 8, 0.5).shape);
    }

    [Fact]
    public void Wrong_input_sizes_are_rejected_with_a_message()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => Net.Encoder.call(randn(1, 3, 12, 12), 1.0));
        Assert.Contains("power-of-two", ex.Message);
        var z = randn(1, 8);
        Assert.Throws<ArgumentException>(() => Net.Decoder.Decode(z, 512));
        Assert.Throws<ArgumentException>(() => Net.Decoder.call(LayerLatentsOf(z, 3), new DecodeSpec(16)));
    }

    private static Abstractions.LayerLatents LayerLatentsOf(Tensor z, int n) => Abstractions.LayerLatents.Uniform(z, n);
}
