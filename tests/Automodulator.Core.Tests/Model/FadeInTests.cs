using Automodulator.Abstractions;
using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Model;

public class FadeInTests
{
    private static AutomodulatorNetwork NewNet()
    {
        var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(32, channels: 8, latent: 16), seed: 5);
        net.eval();
        net.Decoder.NoiseEnabled = false;
        return net;
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void Decoder_alpha_1_is_the_new_resolution_path_and_alpha_0_the_upsampled_previous_output(int res)
    {
        using var net = NewNet();
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(randn(2, 16), dim: 1);
        var full = net.Decoder.Decode(z, res, 1.0);

        var previous = net.Decoder.Decode(z, res / 2, 1.0);
        var upsampled = nn.functional.interpolate(previous, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        var alphaZero = net.Decoder.Decode(z, res, 0.0);
        Assert.True(alphaZero.allclose(upsampled, rtol: 0, atol: 1e-6));

        var half = net.Decoder.Decode(z, res, 0.5);
        Assert.True(half.allclose(full * 0.5 + upsampled * 0.5, rtol: 0, atol: 1e-5));

        // α = 1 is the new path alone: the previous resolution's toRGB no longer matters.
        var previousToRgb = net.Decoder.NamedToRgb().Single(m => m.Name == $"to_rgb.{res / 2}x{res / 2}").Module;
        using (no_grad()) foreach (var p in previousToRgb.parameters()) p.add_(0.5);
        Assert.True(net.Decoder.Decode(z, res, 1.0).eq(full).all().item<bool>());
        Assert.False(net.Decoder.Decode(z, res, 0.5).allclose(half, rtol: 0, atol: 1e-4));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    public void Encoder_alpha_0_equals_the_previous_resolution_encoder_on_the_downsampled_image(int res)
    {
        using var net = NewNet();
        using var scope = NewDisposeScope();
        var x = randn(2, 3, res, res);
        var previous = net.Encoder.call(nn.functional.avg_pool2d(x, 2), 1.0);
        var alphaZero = net.Encoder.call(x, 0.0);
        Assert.True(alphaZero.allclose(previous, rtol: 0, atol: 1e-6));
        var alphaOne = net.Encoder.call(x, 1.0);
        Assert.False(alphaOne.allclose(previous, rtol: 0, atol: 1e-3));
    }
}
