using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Data.Faces;

/// <summary>The debug picture of an alignment: the photo (at most 1024 px wide) with boxes, landmarks and FFHQ quads drawn.</summary>
public static class FaceOverlay
{
    public static byte[] RenderPng(RgbImage photo, IEnumerable<PhotoFace> faces, IEnumerable<FaceDetection>? otherDetections = null, int maxSide = 1024)
    {
        int factor = Reduction(photo.Width, photo.Height, maxSide);
        return RenderPng(Resampler.DownscaleByInteger(photo, factor), factor, faces, otherDetections);
    }

    /// <summary>The integer factor that brings a photo of this size within <paramref name="maxSide"/>.</summary>
    public static int Reduction(int width, int height, int maxSide = 1024)
    {
        int factor = 1;
        while (Math.Max(width, height) / factor > maxSide) factor++;
        return factor;
    }

    /// <summary>
    /// The overlay on a background that is the photo already reduced by <paramref name="factor"/> (e.g.
    /// <see cref="PartialPhoto.Reduced"/>: a JPEG's DCT-scaled decode); faces are in full-photo pixels.
    /// </summary>
    public static byte[] RenderPng(RgbImage small, int factor, IEnumerable<PhotoFace> faces, IEnumerable<FaceDetection>? otherDetections = null)
    {
        float s = 1f / factor;
        using var bmp = ImageGrid.ToBitmap(small);
        using var canvas = new SKCanvas(bmp);
        float stroke = Math.Max(1.5f, Math.Max(small.Width, small.Height) / 400f);
        using var boxPaint = new SKPaint { Color = SKColors.Lime, Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
        using var rawPaint = new SKPaint { Color = SKColors.Yellow, Style = SKPaintStyle.Stroke, StrokeWidth = stroke * 0.6f, IsAntialias = true };
        using var quadPaint = new SKPaint { Color = SKColors.DeepSkyBlue, Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
        using var pointPaint = new SKPaint { Color = SKColors.Red, Style = SKPaintStyle.Fill, IsAntialias = true };
        foreach (var d in otherDetections ?? [])
            canvas.DrawRect(Rect(d.Box, s), rawPaint);
        foreach (var f in faces)
        {
            canvas.DrawRect(Rect(f.Detection.Box, s), boxPaint);
            var c = f.Aligned.Quad.Corners;
            for (int i = 0; i < 4; i++)
                canvas.DrawLine((float)c[i].X * s, (float)c[i].Y * s, (float)c[(i + 1) % 4].X * s, (float)c[(i + 1) % 4].Y * s, quadPaint);
            foreach (var p in f.Landmarks)
                canvas.DrawCircle(p.X * s, p.Y * s, stroke * 1.2f, pointPaint);
        }
        canvas.Flush();
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static SKRect Rect(FaceBox b, float s) =>
        new((float)b.Left * s, (float)b.Top * s, (float)(b.Right + 1) * s, (float)(b.Bottom + 1) * s);
}
