using static TorchSharp.torch;

namespace Automodulator.Data.Imaging;

/// <summary>Conversions between <see cref="RgbImage"/> and [B, 3, H, W] float tensors in [-1, 1].</summary>
public static class TensorImages
{
    /// <summary>One [3, H, W] or [1, 3, H, W] tensor in [-1, 1] to an 8-bit image (rounded, clamped).</summary>
    public static RgbImage ToImage(Tensor image)
    {
        using var scope = NewDisposeScope();
        var t = image.dim() == 4 ? image[0] : image;
        if (t.dim() != 3 || t.shape[0] != 3) throw new ArgumentException($"Expected [3, H, W], got [{string.Join(", ", image.shape)}].");
        int h = (int)t.shape[1], w = (int)t.shape[2];
        var hwc = t.detach().cpu().to(ScalarType.Float32).add(1).mul(127.5).round().clamp(0, 255).to(ScalarType.Byte).permute(1, 2, 0).contiguous();
        var img = new RgbImage(w, h);
        hwc.bytes.CopyTo(img.Pixels);
        return img;
    }

    /// <summary>Images of one size to a [B, 3, H, W] float tensor in [-1, 1] on the CPU.</summary>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images)
    {
        if (images.Count == 0) throw new ArgumentException("No images.", nameof(images));
        int w = images[0].Width, h = images[0].Height;
        var buffer = new byte[images.Count * w * h * 3];
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Width != w || images[i].Height != h)
                throw new ArgumentException($"Image {i} is {images[i].Width}×{images[i].Height}, expected {w}×{h}.");
            images[i].Pixels.CopyTo(buffer, i * w * h * 3);
        }
        using var scope = NewDisposeScope();
        var t = tensor(buffer, [images.Count, h, w, 3]).permute(0, 3, 1, 2).to(ScalarType.Float32).div(127.5).sub(1);
        return t.MoveToOuterDisposeScope();
    }
}
