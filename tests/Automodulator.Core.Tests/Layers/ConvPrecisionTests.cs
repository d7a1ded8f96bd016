using Automodulator.Core.Layers;
using Automodulator.Core.Model;
using Automodulator.Core.Tests.Training;
using Automodulator.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Layers;

public class ConvPrecisionTests
{
    [Fact]
    public void Bfloat16_convolution_returns_float32_close_to_the_float32_result_and_gradients_reach_float32_weights()
    {
        manual_seed(3);
        var x = randn(4, 16, 8, 8);
        var w = randn(16, 16, 3, 3).mul(0.1).requires_grad_();
        var b = randn(16).requires_grad_();
        var exact = PrecisionConv.Conv2d(x, w, b, 1, ConvPrecision.Float32);
        var mixed = PrecisionConv.Conv2d(x, w, b, 1, ConvPrecision.BFloat16);
        Assert.Equal(ScalarType.Float32, mixed.dtype);
        // bfloat16 keeps 8 significant bits: operands round by ≤ 2^-9 relative, accumulation is float32.
        double scale = exact.abs().max().item<float>();
        double worst = (mixed - exact).abs().max().item<float>();
        Assert.InRange(worst / scale, 1e-5, 2e-2);
        mixed.sum().backward();
        Assert.Equal(ScalarType.Float32, w.grad!.dtype);
        // d/db of the sum is the number of output positions per channel, exactly (the bias is added in float32).
        Assert.True(b.grad!.allclose(full(16, 4 * 8 * 8f), 0, 0));
    }

    [Fact]
    public void Under_bfloat16_the_encoder_keeps_bfloat16_between_convs_and_returns_a_float32_latent_close_to_the_exact_one()
    {
        manual_seed(4);
        var x = randn(4, 16, 8, 8);
        var w = randn(16, 16, 3, 3).mul(0.1);
        Assert.Equal(ScalarType.BFloat16, PrecisionConv.Conv2dKeepingPrecision(x, w, null, 1, ConvPrecision.BFloat16).dtype);
        Assert.Equal(ScalarType.Float32, PrecisionConv.Conv2dKeepingPrecision(x, w, null, 1, ConvPrecision.Float32).dtype);

        using var net = AutomodulatorNetwork.Create(ModelPresets.Get("tiny16"), 1);
        net.eval();
        using var images = rand(3, 3, 16, 16).mul(2).sub(1);
        using var exact = net.Encoder.call(images, 1.0);
        net.ConvPrecision = ConvPrecision.BFloat16;
        using var mixed = net.Encoder.call(images, 1.0);
        Assert.Equal(ScalarType.Float32, mixed.dtype);
        // Unit latents: the cosine between the bf16 and fp32 latents of each image.
        using var cosine = (mixed * exact).sum(1);
        Assert.True(cosine.min().item<float>() > 0.99, $"cosine {cosine.min().item<float>()}");
        Assert.False(mixed.allclose(exact, 0, 0));
    }

    [Fact]
    public void Network_precision_switches_every_spatial_convolution_but_not_the_one_by_one_torgb()
    {
        using var net = AutomodulatorNetwork.Create(ModelPresets.Get("tiny16"), 1);
        net.ConvPrecision = ConvPrecision.BFloat16;
        var convs = net.modules().OfType<IPrecisionSwitchable>().ToList();
        Assert.NotEmpty(convs);
        Assert.All(convs, c => Assert.Equal(ConvPrecision.BFloat16, c.Precision));
        // toRGB is 1×1: its output feeds the image directly, and it is cheap, so it stays float32 whatever is set.
        var toRgb = net.Decoder.NamedToRgb().Select(p => p.Module).OfType<EqualizedConv2d>().First();
        manual_seed(5);
        using var input = randn(2, toRgb.InChannels, 4, 4);
        using var mixed = toRgb.call(input);
        net.ConvPrecision = ConvPrecision.Float32;
        using var exact = toRgb.call(input);
        Assert.True(mixed.allclose(exact, 0, 0));
    }

    [Fact]
    public void Training_in_bfloat16_keeps_float32_parameters_and_tracks_the_float32_losses()
    {
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny();
        using var exact = Trainer.Create(options);
        using var mixed = Trainer.Create(options with { Precision = "bf16" });
        Assert.Equal(ConvPrecision.BFloat16, mixed.Network.ConvPrecision);
        Assert.Equal(ConvPrecision.Float32, exact.Network.ConvPrecision);
        var batches = TrainingFixtures.Batches(options, data).Take(3).ToList();
        foreach (var batch in batches)
        {
            using var a = exact.Step(batch);
            using var b = mixed.Step(batch);
            var va = a.Read();
            var vb = b.Read();
            foreach (var name in new[] { "kl_real", "kl_fake", "enc.total" }.Where(va.ContainsKey))
                Assert.InRange(vb[name], va[name] - 0.1 * Math.Abs(va[name]) - 1e-3, va[name] + 0.1 * Math.Abs(va[name]) + 1e-3);
            Assert.All(vb.Values, v => Assert.True(double.IsFinite(v)));
            batch.Dispose();
        }
        Assert.All(mixed.Network.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        // Not bit-identical: the mixed run really ran in reduced precision.
        Assert.Contains(mixed.Network.named_parameters(), p => !p.parameter.allclose(exact.Network.named_parameters().First(q => q.name == p.name).parameter, 0, 0));
    }

    [Fact]
    public void Unknown_precision_is_refused_with_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => (TrainingFixtures.Tiny() with { Precision = "fp16" }).Resolve());
        Assert.Contains("fp32, bf16 or auto", e.Message);
    }
}
