using Automodulator.Data.Imaging;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>Centre crops and resizes shared by the folder and LSUN recipes.</summary>
public static class SquareCrop
{
    /// <summary>
    /// The centred square of side min(w, h), resized to <paramref name="size"/> with Lanczos (PIL's ANTIALIAS), as
    /// StyleGAN's dataset_tool does for LSUN bedrooms: rows [(h − c)/2, (h + c)/2) and the same for columns.
    /// </summary>
    public static RgbImage CenterCropResize(RgbImage image, int size)
    {
        int c = Math.Min(image.Width, image.Height);
        if (c < size) throw new IngestRejectException($"image is {image.Width}×{image.Height}, smaller than the {size}×{size} target");
        var square = Crop(image, (image.Width - c) / 2, (image.Height - c) / 2, c, c);
        return square.Width == size ? square : Resampler.Resize(square, size, size);
    }

    /// <summary>
    /// StyleGAN's <c>create_lsun_wide</c> (LSUN cars): ch = round(size·h/w); skip if w &lt; size or ch &lt; ¾·size; keep
    /// the centred rows [(h − ch)/2, (h + ch)/2) of the original (ch counted at output scale, as the script does),
    /// resize that band to size × ¾·size (Lanczos) and letterbox it on a black size × size canvas.
    /// </summary>
    public static RgbImage WideCrop(RgbImage image, int size)
    {
        int width = size, height = size * 3 / 4;
        int ch = (int)Math.Round((double)width * image.Height / image.Width, MidpointRounding.ToEven);
        if (image.Width < width || ch < height)
            throw new IngestRejectException($"image is {image.Width}×{image.Height}, too small for the {width}×{height} wide crop");
        int top = (image.Height - ch) / 2, bottom = (image.Height + ch) / 2;
        var band = Crop(image, 0, top, image.Width, bottom - top);
        var resized = Resampler.Resize(band, width, height);
        var canvas = new RgbImage(size, size);
        int offset = (width - height) / 2;
        for (int y = 0; y < height; y++) resized.Row(y).CopyTo(canvas.Row(offset + y));
        return canvas;
    }

    public static RgbImage Crop(RgbImage image, int x0, int y0, int w, int h)
    {
        if (x0 == 0 && y0 == 0 && w == image.Width && h == image.Height) return image;
        var result = new RgbImage(w, h);
        for (int y = 0; y < h; y++) image.Pixels.AsSpan(((y0 + y) * image.Width + x0) * 3, w * 3).CopyTo(result.Row(y));
        return result;
    }

    /// <summary>The smallest power of two ≥ n.</summary>
    public static int CeilPowerOfTwo(int n)
    {
        int p = 4;
        while (p < n) p *= 2;
        return p;
    }
}
