using Automodulator.Abstractions;
using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Model;

public class MixingTests
{
    private static AutomodulatorNetwork NewNet()
    {
        var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(32, channels: 8, latent: 16), seed: 3);
        net.eval();
        net.Decoder.NoiseEnabled = false;
        return net;
    }

    private static Tensor Z(int seed) => nn.functional.normalize(randn([2, 16], generator: new Generator((ulong)seed)), dim: 1);

    [Fact]
    public void Same_latent_on_every_layer_equals_plain_decode_exactly()
    {
        using var net = NewNet();
        using var scope = NewDisposeScope();
        var z = Z(1);
        var plain = net.Decoder.Decode(z, 32);
        var perLayer = Enumerable.Range(0, net.Decoder.LayerCount).Select(_ => z.clone()).ToArray();
        var assigned = net.Decoder.call(new LayerLatents(perLayer), new DecodeSpec(32));
        Assert.True(plain.eq(assigned).all().item<bool>());
    }

    [Fact]
    public void Assigning_a_second_latent_from_layer_j_on_changes_nothing_up_to_layer_j()
    {
        using var net = NewNet();
        using var scope = NewDisposeScope();
        var (zA, zB) = (Z(1), Z(2));
        int n = net.Decoder.LayerCount;
        for (int j = 1; j < n; j++)
        {
            var pure = net.Decoder.call(LayerLatents.Uniform(zA, n), new DecodeSpec(32, StopAfterLayer: j));
            var mixed = net.Decoder.call(LayerLatents.Split(zA, zB, j, n), new DecodeSpec(32, StopAfterLayer: j));
            Assert.True(pure.eq(mixed).all().item<bool>(), $"canvas after layer {j} changed");
            var mixedNext = net.Decoder.call(LayerLatents.Split(zA, zB, j, n), new DecodeSpec(32, StopAfterLayer: j + 1));
            var pureNext = net.Decoder.call(LayerLatents.Uniform(zA, n), new DecodeSpec(32, StopAfterLayer: j + 1));
            Assert.False(pureNext.eq(mixedNext).all().item<bool>(), $"layer {j + 1} ignored its latent");
        }
    }

    [Fact]
    public void Intermediate_canvas_has_the_layer_resolution_and_channels()
    {
        using var net = NewNet();
        using var scope = NewDisposeScope();
        var z = Z(1);
        int n = net.Decoder.LayerCount;
        for (int j = 1; j <= n; j++)
        {
            var xi = net.Decoder.call(LayerLatents.Uniform(z, n), new DecodeSpec(32, StopAfterLayer: j));
            int r = net.Decoder.LayerResolutions[j - 1];
            Assert.Equal(new long[] { 2, 8, r, r }, xi.shape);
        }
    }

    [Fact]
    public void Named_ranges_mix_only_their_scales()
    {
        using var net = NewNet();
        using var scope = NewDisposeScope();
        var (zA, zB) = (Z(1), Z(2));
        var res = net.Decoder.LayerResolutions;
        var coarseFromB = LayerLatents.Uniform(zA, res.Count).With(LayerRange.Coarse, res, zB);
        Assert.Equal(new[] { 0, 1, 2, 3 }, LayerRange.Coarse.Resolve(res));
        for (int i = 0; i < res.Count; i++) Assert.Same(i < 4 ? zB : zA, coarseFromB[i]);
        var decoded = net.Decoder.call(coarseFromB, new DecodeSpec(32));
        Assert.Equal(new long[] { 2, 3, 32, 32 }, decoded.shape);
    }
}
