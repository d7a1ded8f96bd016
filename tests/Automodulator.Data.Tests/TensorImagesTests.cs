using Automodulator.Data.Imaging;

namespace Automodulator.Data.Tests;

public class TensorImagesTests
{
    [Fact]
    public void Image_to_tensor_and_back_is_lossless()
    {
        var img = new RgbImage(5, 3);
        for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = (byte)(i * 17 % 256);
        using var t = TensorImages.ToTensor([img]);
        Assert.Equal(new long[] { 1, 3, 3, 5 }, t.shape);
        Assert.InRange(t.min().item<float>(), -1f, 1f);
        var back = TensorImages.ToImage(t);
        Assert.Equal(img.Pixels, back.Pixels);
    }

    [Fact]
    public void Images_of_different_sizes_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => TensorImages.ToTensor([new RgbImage(4, 4), new RgbImage(5, 4)]));
        Assert.Contains("expected 4×4", ex.Message);
    }
}
