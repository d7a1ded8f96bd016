using SkiaSharp;
using static TorchSharp.torch;

namespace Automodulator.Data.Imaging;

/// <summary>
/// Lays out a batch of images as a labelled grid and writes it as PNG: the pictures every command and report shows.
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Writes images [rows·cols, 3, H, W] in [-1, 1] (row-major) as a PNG grid with optional row and column labels.
    /// Small images are scaled up (nearest) so each cell is at least <paramref name="minCell"/> pixels wide.
    /// </summary>
    public static void Save(Tensor images, int rows, int columns, string path,
        IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null, int minCell = 64)
    {
        long n = images.shape[0];
        if (n > rows * columns) throw new ArgumentException($"{n} images do not fit a {rows}×{columns} grid.");
        int h = (int)images.shape[2], w = (int)images.shape[3];
        int scale = Math.Max(1, (minCell + w - 1) / w);
        int cw = w * scale, ch = h * scale, pad = 2;
        bool hasRowLabels = rowLabels is { Count: > 0 }, hasColLabels = columnLabels is { Count: > 0 };
        using var font = new SKFont(SKTypeface.Default, 12);
        int left = hasRowLabels ? (int)Math.Ceiling(rowLabels!.Max(l => font.MeasureText(l))) + 8 : 0;
        int top = hasColLabels ? 18 : 0;
        int width = left + columns * (cw + pad) + pad, height = top + rows * (ch + pad) + pad;

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var paint = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        for (int i = 0; i < n; i++)
        {
            using var img = images[i];
            using var bmp = ToBitmap(TensorImages.ToImage(img));
            using var skImage = SKImage.FromBitmap(bmp);
            int r = i / columns, c = i % columns;
            var dest = SKRect.Create(left + pad + c * (cw + pad), top + pad + r * (ch + pad), cw, ch);
            canvas.DrawImage(skImage, dest, new SKSamplingOptions(SKFilterMode.Nearest));
        }
        if (hasColLabels)
            for (int c = 0; c < Math.Min(columns, columnLabels!.Count); c++)
                canvas.DrawText(columnLabels[c], left + pad + c * (cw + pad) + 2, 13, SKTextAlign.Left, font, paint);
        if (hasRowLabels)
            for (int r = 0; r < Math.Min(rows, rowLabels!.Count); r++)
                canvas.DrawText(rowLabels[r], 4, top + pad + r * (ch + pad) + ch / 2 + 4, SKTextAlign.Left, font, paint);

        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.AsSpan());
    }

    /// <summary>An <see cref="RgbImage"/> as an opaque Skia bitmap.</summary>
    public static SKBitmap ToBitmap(RgbImage image)
    {
        var bmp = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var dst = bmp.GetPixelSpan();
        var src = image.Pixels;
        for (int p = 0, q = 0; p < src.Length; p += 3, q += 4)
        {
            dst[q] = src[p];
            dst[q + 1] = src[p + 1];
            dst[q + 2] = src[p + 2];
            dst[q + 3] = 255;
        }
        return bmp;
    }
}
