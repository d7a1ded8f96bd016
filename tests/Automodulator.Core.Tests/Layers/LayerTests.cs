using Automodulator.Core.Layers;
using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Layers;

public class LayerTests
{
    [Fact]
    public void AdaIn_output_has_the_mean_and_std_of_its_affine_map()
    {
        manual_seed(11);
        using var adain = new AdaIn("adain", channels: 6, latentDim: 10);
        using var scope = NewDisposeScope();
        var x = randn(3, 6, 8, 8) * 3 + 2;
        var z = randn(3, 10);
        var (s, m) = adain.Style(z);
        var y = adain.call(x, z);
        var mean = y.mean([2, 3]);
        var std = (y - y.mean([2, 3], keepdim: true)).square().mean([2, 3]).sqrt();
        Assert.True(mean.allclose(m, rtol: 0, atol: 1e-4), "per-channel mean differs from m");
        Assert.True(std.allclose(s.abs(), rtol: 0, atol: 1e-4), "per-channel std differs from s");
        Assert.Equal(12, adain.StyleWidth);
    }

    [Fact]
    public void Spectral_norm_makes_the_largest_singular_value_one()
    {
        manual_seed(12);
        using var conv = new SpectralNormConv2d("sn", 8, 16, 3);
        using (no_grad()) conv.Weight.mul_(7.5);
        conv.PowerIterate(50);
        using var scope = NewDisposeScope();
        conv.train();
        var normalized = conv.NormalizedWeight().detach().flatten(1);
        var sigmaMax = linalg.svdvals(normalized).max().item<float>();
        Assert.InRange(sigmaMax, 0.99f, 1.01f);
        var rawSigma = linalg.svdvals(conv.Weight.detach().flatten(1)).max().item<float>();
        Assert.InRange(conv.StoredSigma.item<float>(), rawSigma * 0.99f, rawSigma * 1.01f);
    }

    [Fact]
    public void Spectral_norm_in_eval_mode_uses_the_stored_sigma_without_iterating()
    {
        manual_seed(13);
        using var conv = new SpectralNormConv2d("sn", 4, 4, 3);
        conv.eval();
        using var scope = NewDisposeScope();
        var u = conv.state_dict()["weight_u"].clone();
        var x = randn(1, 4, 5, 5);
        var a = conv.call(x);
        var b = conv.call(x);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.True(conv.state_dict()["weight_u"].eq(u).all().item<bool>());
    }

    [Fact]
    public void Spectral_norm_allows_two_training_passes_in_one_graph()
    {
        manual_seed(15);
        using var conv = new SpectralNormConv2d("sn", 3, 3, 3);
        conv.train();
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 6, 6);
        var y = conv.call(conv.call(x));
        y.sum().backward();
        Assert.NotNull(conv.Weight.grad);
        Assert.True(conv.Weight.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Equalized_conv_uses_stored_weight_times_sqrt_2_over_fan_in()
    {
        manual_seed(14);
        using var conv = new EqualizedConv2d("eq", 5, 7, 3);
        Assert.Equal(Math.Sqrt(2.0 / (5 * 3 * 3)), conv.WeightScale, 12);
        using var scope = NewDisposeScope();
        Assert.True(conv.EffectiveWeight().allclose(conv.Weight * Math.Sqrt(2.0 / 45), rtol: 1e-6, atol: 0));
        var x = randn(2, 5, 6, 6);
        var expected = nn.functional.conv2d(x, conv.Weight * Math.Sqrt(2.0 / 45), padding: [1, 1]);
        Assert.True(conv.call(x).allclose(expected, rtol: 1e-5, atol: 1e-6));
        // Stored weights are N(0, 1): the scale, not the init, sets the effective magnitude.
        Assert.InRange(conv.Weight.std().item<float>(), 0.8f, 1.2f);
    }

    [Fact]
    public void Fused_upsampling_convolution_equals_nearest_upsampling_then_the_convolution_and_so_do_its_gradients()
    {
        manual_seed(11);
        using var conv = new EqualizedConv2d("c", 5, 7, 3);
        using (no_grad()) conv.named_parameters().First(p => p.name == "bias").parameter.normal_();
        var x = randn(2, 5, 6, 4).requires_grad_();
        var reference = conv.call(ModulatedConvBlock.Upsample2x(x));
        var fused = conv.ForwardUpsampled(x);
        Assert.Equal(reference.shape, fused.shape);
        Assert.True(fused.allclose(reference, rtol: 1e-5, atol: 1e-5));
        using var g = randn(reference.shape);
        var expected = autograd.grad([reference], [x, conv.Weight], [g]);
        var grads = autograd.grad([fused], [x, conv.Weight], [g]);
        Assert.True(grads[0].allclose(expected[0], rtol: 1e-4, atol: 1e-4));
        Assert.True(grads[1].allclose(expected[1], rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Binomial_blur_keeps_constants_and_smooths_an_impulse()
    {
        using var blur = new BinomialBlur("blur");
        using var scope = NewDisposeScope();
        var constant = full(new long[] { 1, 2, 6, 6 }, 0.7f);
        Assert.True(blur.call(constant).allclose(constant, rtol: 0, atol: 1e-6));
        var impulse = zeros(1, 1, 5, 5);
        impulse[0, 0, 2, 2] = tensor(16f);
        var y = blur.call(impulse);
        Assert.Equal(4f, y[0, 0, 2, 2].item<float>(), 5);
        Assert.Equal(2f, y[0, 0, 1, 2].item<float>(), 5);
        Assert.Equal(1f, y[0, 0, 1, 1].item<float>(), 5);
        Assert.Empty(blur.state_dict());
    }

    [Fact]
    public void Layer_noise_adds_scaled_noise_only_when_enabled()
    {
        using var noise = new LayerNoise("noise");
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 4, 4);
        using (no_grad()) noise.Scale.fill_(0.5);
        Assert.False(noise.call(x).eq(x).all().item<bool>());
        noise.Enabled = false;
        Assert.True(noise.call(x).eq(x).all().item<bool>());
    }
}
