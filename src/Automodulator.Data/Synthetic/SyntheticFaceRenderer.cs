using System.Numerics;
using Automodulator.Data.Imaging;
using SkiaSharp;

namespace Automodulator.Data.Synthetic;

/// <summary>
/// Draws a <see cref="FaceFactors"/> face with SkiaSharp (anti-aliased paths and gradients) directly at the requested
/// size, so a 32×32 or 64×64 face costs a fraction of a millisecond and needs no downsampling. Thread-safe: each
/// thread reuses its own canvas per size.
/// </summary>
public static class SyntheticFaceRenderer
{
    [ThreadStatic] private static Dictionary<int, Canvas>? _canvases;

    /// <summary>Renders the face at size × size.</summary>
    public static RgbImage Render(FaceFactors factors, int size)
    {
        var image = new RgbImage(size, size);
        Render(factors, size, image.Pixels);
        return image;
    }

    /// <summary>Renders the face and returns where its 68 landmarks are.</summary>
    public static (RgbImage Image, FaceLandmarks Landmarks) RenderWithLandmarks(FaceFactors factors, int size)
    {
        var image = new RgbImage(size, size);
        var layout = Render(factors, size, image.Pixels);
        return (image, layout.Landmarks);
    }

    /// <summary>Renders into an interleaved RGB buffer of size·size·3 bytes (no allocation for the pixels).</summary>
    public static FaceLayout Render(FaceFactors factors, int size, Span<byte> rgb)
    {
        if (size < 4 || size > 8192) throw new ArgumentOutOfRangeException(nameof(size), $"Render size {size} is outside 4..8192.");
        if (rgb.Length != size * size * 3) throw new ArgumentException($"Need {size * size * 3} bytes for {size}×{size} RGB, got {rgb.Length}.", nameof(rgb));
        var layout = new FaceLayout(factors, size);
        _canvases ??= new Dictionary<int, Canvas>();
        if (!_canvases.TryGetValue(size, out var c))
        {
            // A few sizes per thread at most (training sizes); drop the set rather than grow without bound.
            if (_canvases.Count >= 8) { foreach (var old in _canvases.Values) old.Dispose(); _canvases.Clear(); }
            _canvases[size] = c = new Canvas(size);
        }
        Draw(c, layout);
        c.Bitmap.NotifyPixelsChanged();
        var src = c.Bitmap.GetPixelSpan();
        for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3)
        {
            rgb[q] = src[p];
            rgb[q + 1] = src[p + 1];
            rgb[q + 2] = src[p + 2];
        }
        return layout;
    }

    private static void Draw(Canvas k, FaceLayout L)
    {
        var f = L.Factors;
        var canvas = k.SkCanvas;
        var paint = k.Paint;
        float S = L.Size, A = L.A, B = L.B;
        var fine = f.Fine;
        var mid = f.Intermediate;

        // Background: a vertical gradient (symmetric left to right, so mirroring stays exact).
        using (var bg = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, S),
                   [f.Coarse.BackgroundTop.ToSk(), f.Coarse.BackgroundBottom.ToSk()], SKShaderTileMode.Clamp))
        {
            Fill(paint, bg);
            canvas.DrawRect(0, 0, S, S, paint);
        }
        paint.Shader = null;

        // Hair behind the head: a dome over the head that falls to a length set by HairLength.
        float ab = A * (1.1f + 0.22f * mid.HairVolume), bb = B * (1.07f + 0.1f * mid.HairVolume);
        float yEnd = B * (0.15f + 1.35f * mid.HairLength);
        var path = k.Path;
        path.Reset();
        for (int i = 0; i <= 20; i++)
        {
            float t = MathF.PI + MathF.PI * i / 20;
            Add(path, L.Roll(ab * MathF.Cos(t), bb * MathF.Sin(t)), i == 0);
        }
        Add(path, L.Roll(ab * 0.97f, yEnd), false);
        Add(path, L.Roll(ab * 0.75f, yEnd + 0.12f * B), false);
        Add(path, L.Roll(-ab * 0.75f, yEnd + 0.12f * B), false);
        Add(path, L.Roll(-ab * 0.97f, yEnd), false);
        path.Close();
        Fill(paint, fine.Hair.Scale(0.8f));
        DrawPath(canvas, path, paint);

        // Neck, then shoulders (the body does not roll with the head).
        Polygon(path, L.Roll(-0.4f * A, 0.4f * B), L.Roll(0.4f * A, 0.4f * B), L.Roll(0.45f * A, 2.6f * B), L.Roll(-0.45f * A, 2.6f * B));
        Fill(paint, fine.Skin.Scale(0.78f));
        DrawPath(canvas, path, paint);
        Fill(paint, f.Coarse.Clothing);
        canvas.DrawOval(L.Center.X, L.Center.Y + 2.15f * B, 2.3f * A, 0.95f * B, paint);

        // Face: outline with a soft radial shading lit from the front.
        path.Reset();
        for (int i = 0; i < 64; i++) Add(path, L.Outline(2 * MathF.PI * i / 64), i == 0);
        path.Close();
        var lit = L.Project(0, 0.05f);
        using (var shade = SKShader.CreateRadialGradient(new SKPoint(lit.X, lit.Y), 1.25f * B,
                   [fine.Skin.Scale(1.06f).ToSk(), fine.Skin.Scale(0.8f).ToSk()], SKShaderTileMode.Clamp))
        {
            Fill(paint, shade);
            DrawPath(canvas, path, paint);
        }
        paint.Shader = null;

        // Cheeks and freckles (fine texture), placed in pairs θ, −θ so the face stays symmetric in its own frame.
        for (int side = -1; side <= 1; side += 2)
        {
            float th = side * 0.5f;
            if (L.Foreshortening(th) < 0.2f) continue;
            var cheek = L.Project(th, -0.28f);
            using var blush = SKShader.CreateRadialGradient(new SKPoint(cheek.X, cheek.Y), 0.24f * A,
                [fine.Lips.ToSk(60), fine.Lips.ToSk(0)], SKShaderTileMode.Clamp);
            Fill(paint, blush);
            canvas.DrawCircle(cheek.X, cheek.Y, 0.24f * A, paint);
        }
        paint.Shader = null;
        var tex = new SeededRandom(fine.TextureSeed);
        int freckles = (int)MathF.Round(fine.Freckles * 14);
        Fill(paint, fine.Skin.Scale(0.68f), (byte)(90 + 100 * fine.Freckles));
        for (int i = 0; i < freckles; i++)
        {
            float th = tex.Uniform(0.1, 0.7), ph = tex.Uniform(-0.4, 0.0), r = 0.014f * A * tex.Uniform(0.7, 1.4);
            for (int side = -1; side <= 1; side += 2)
            {
                if (L.Foreshortening(side * th) < 0.15f) continue;
                var q = L.Project(side * th, ph, 0.01f);
                canvas.DrawCircle(q.X, q.Y, r, paint);
            }
        }

        DrawEyes(k, L);

        // Brows.
        paint.Style = SKPaintStyle.Stroke;
        paint.StrokeCap = SKStrokeCap.Round;
        paint.StrokeWidth = MathF.Max(0.055f * A, 0.4f);
        paint.Color = fine.Hair.Scale(0.85f).ToSk();
        for (int side = -1; side <= 1; side += 2)
        {
            path.Reset();
            for (int i = 0; i <= 8; i++) Add(path, L.Brow(side, -1 + i / 4f), i == 0);
            DrawPath(canvas, path, paint);
        }

        // Nose: side shadows, nostrils, a highlight on the tip.
        var lm = L.Landmarks.Points;
        paint.StrokeWidth = MathF.Max(0.035f * A, 0.3f);
        paint.Color = fine.Skin.Scale(0.72f).ToSk(150);
        canvas.DrawLine(lm[28].X, lm[28].Y, lm[31].X, lm[31].Y, paint);
        canvas.DrawLine(lm[28].X, lm[28].Y, lm[35].X, lm[35].Y, paint);
        paint.Style = SKPaintStyle.Fill;
        Fill(paint, fine.Skin.Scale(0.45f), 200);
        float nr = 0.035f * A;
        canvas.DrawOval(lm[32].X, lm[32].Y, nr * 1.2f, nr, paint);
        canvas.DrawOval(lm[34].X, lm[34].Y, nr * 1.2f, nr, paint);
        Fill(paint, fine.Skin.Scale(1.12f), 120);
        canvas.DrawCircle(lm[30].X, lm[30].Y, 0.06f * A, paint);

        DrawMouth(k, L);
        DrawHairCap(k, L, ref tex);
    }

    private static void DrawEyes(Canvas k, FaceLayout L)
    {
        var canvas = k.SkCanvas;
        var paint = k.Paint;
        var f = L.Factors;
        float A = L.A;
        for (int side = -1; side <= 1; side += 2)
        {
            var (c, w, h) = L.Eye(side);
            float nominal = 0.2f * A * f.Intermediate.EyeSize;
            canvas.Save();
            canvas.Translate(c.X, c.Y);
            canvas.RotateDegrees(L.RollDegrees);
            var eye = SKRect.Create(-w, -h, 2 * w, 2 * h);
            if (h > 0.05f * w && w > 0.02f * A)
            {
                // Sclera, iris (foreshortened with the eye), pupil, catch light, all inside the eye opening.
                Fill(paint, new FaceColor(0.95f, 0.94f, 0.92f));
                canvas.DrawOval(eye, paint);
                canvas.Save();
                canvas.ClipRect(eye); // cheap bound; the iris radius below keeps it inside the lids
                float ir = MathF.Min(0.5f * nominal, h * 1.1f), fs = w / nominal;
                Fill(paint, f.Fine.Iris);
                canvas.DrawOval(0, 0, ir * fs, MathF.Min(ir, h), paint);
                Fill(paint, new FaceColor(0.05f, 0.04f, 0.04f));
                canvas.DrawOval(0, 0, 0.45f * ir * fs, MathF.Min(0.45f * ir, h), paint);
                Fill(paint, new FaceColor(1, 1, 1), 200);
                canvas.DrawCircle(0, -0.3f * MathF.Min(ir, h), 0.15f * ir, paint);
                canvas.Restore();
            }
            // Upper lid line (also what a closed eye looks like).
            paint.Style = SKPaintStyle.Stroke;
            paint.StrokeCap = SKStrokeCap.Round;
            paint.StrokeWidth = MathF.Max(0.04f * A, 0.35f);
            paint.Color = f.Fine.Hair.Mix(new FaceColor(0.1f, 0.07f, 0.06f), 0.7f).ToSk(230);
            canvas.DrawArc(eye, 180, 180, false, paint);
            paint.Style = SKPaintStyle.Fill;
            canvas.Restore();
        }
    }

    private static void DrawMouth(Canvas k, FaceLayout L)
    {
        var canvas = k.SkCanvas;
        var paint = k.Paint;
        var path = k.Path;
        var f = L.Factors;
        const int n = 16;
        path.Reset();
        for (int i = 0; i <= n; i++) Add(path, L.Mouth(-1 + 2f * i / n, 1), i == 0);
        for (int i = n - 1; i >= 1; i--) Add(path, L.Mouth(-1 + 2f * i / n, -1), false);
        path.Close();
        Fill(paint, f.Fine.Lips);
        DrawPath(canvas, path, paint);
        if (f.Intermediate.MouthOpen > 0.05f)
        {
            path.Reset();
            for (int i = 0; i <= n; i++) Add(path, L.Mouth(-0.95f + 1.9f * i / n, 2), i == 0);
            for (int i = n - 1; i >= 1; i--) Add(path, L.Mouth(-0.95f + 1.9f * i / n, -2), false);
            path.Close();
            Fill(paint, f.Fine.Lips.Scale(0.25f));
            DrawPath(canvas, path, paint);
            path.Reset();
            for (int i = 0; i <= n; i++) Add(path, L.Mouth(-0.8f + 1.6f * i / n, 2), i == 0);
            for (int i = n - 1; i >= 1; i--) Add(path, L.Mouth(-0.8f + 1.6f * i / n, 0), false);
            path.Close();
            Fill(paint, new FaceColor(0.93f, 0.92f, 0.88f));
            DrawPath(canvas, path, paint);
        }
        path.Reset();
        for (int i = 0; i <= n; i++) Add(path, L.Mouth(-1 + 2f * i / n, 0), i == 0);
        paint.Style = SKPaintStyle.Stroke;
        paint.StrokeWidth = MathF.Max(0.025f * L.A, 0.3f);
        paint.Color = f.Fine.Lips.Scale(0.5f).ToSk(200);
        DrawPath(canvas, path, paint);
        paint.Style = SKPaintStyle.Fill;
    }

    private static void DrawHairCap(Canvas k, FaceLayout L, ref SeededRandom tex)
    {
        var canvas = k.SkCanvas;
        var paint = k.Paint;
        var path = k.Path;
        var f = L.Factors;
        float A = L.A, B = L.B, yaw = L.Yaw;
        // Hairline across the visible half of the head (longitude θ + yaw from −90° to 90°), then back over the top.
        const int n = 40;
        path.Reset();
        float phiL = 0, phiR = 0;
        for (int i = 0; i <= n; i++)
        {
            float visible = -MathF.PI / 2 + MathF.PI * i / n, theta = visible - yaw;
            float phi = L.HairlineLatitude(theta);
            if (i == 0) phiL = phi;
            if (i == n) phiR = phi;
            Add(path, L.Project(theta, phi), i == 0);
        }
        float ao = A * (1.03f + 0.1f * f.Intermediate.HairVolume), bo = B * (1.04f + 0.1f * f.Intermediate.HairVolume);
        float from = -phiR, to = -MathF.PI + phiL;
        for (int i = 0; i <= 24; i++)
        {
            float t = from + (to - from) * i / 24;
            Add(path, L.Roll(ao * MathF.Cos(t), bo * MathF.Sin(t)), false);
        }
        path.Close();
        Fill(paint, f.Fine.Hair);
        DrawPath(canvas, path, paint);

        // Strands: darker and lighter curves from the crown to the hairline, in mirrored pairs. They start inside the
        // cap's outer arc and end just above the hairline, so no (costly anti-aliased) clip is needed.
        if (f.Fine.Strands < 0.05f) return;
        paint.Style = SKPaintStyle.Stroke;
        paint.StrokeWidth = MathF.Max(0.03f * A, 0.3f);
        using var strand = new SKPathBuilder();
        for (int s = 0; s < 7; s++)
        {
            float th = tex.Uniform(0.05, 1.5);
            bool dark = s % 3 != 2;
            paint.Color = f.Fine.Hair.Scale(dark ? 1 - 0.5f * f.Fine.Strands : 1 + 0.5f * f.Fine.Strands).ToSk((byte)(80 + 120 * f.Fine.Strands));
            for (int side = -1; side <= 1; side += 2)
            {
                strand.Reset();
                for (int i = 0; i <= 8; i++)
                {
                    float u = i / 8f, theta = side * th * (0.3f + 0.7f * u);
                    float phi = 1.4f + (L.HairlineLatitude(theta) + 0.02f - 1.4f) * u;
                    float vis = Math.Clamp(theta + yaw, -MathF.PI / 2, MathF.PI / 2) - yaw;
                    Add(strand, L.Project(vis, phi), i == 0);
                }
                DrawPath(canvas, strand, paint);
            }
        }
        paint.Style = SKPaintStyle.Fill;
    }

    private static void Add(SKPathBuilder path, Vector2 p, bool first)
    {
        if (first) path.MoveTo(p.X, p.Y);
        else path.LineTo(p.X, p.Y);
    }

    private static void Polygon(SKPathBuilder path, params ReadOnlySpan<Vector2> points)
    {
        path.Reset();
        for (int i = 0; i < points.Length; i++) Add(path, points[i], i == 0);
        path.Close();
    }

    private static void DrawPath(SKCanvas canvas, SKPathBuilder builder, SKPaint paint)
    {
        using var p = builder.Snapshot();
        canvas.DrawPath(p, paint);
    }

    private static void Fill(SKPaint paint, FaceColor color, byte alpha = 255)
    {
        paint.Shader = null;
        paint.Style = SKPaintStyle.Fill;
        paint.Color = color.ToSk(alpha);
    }

    private static void Fill(SKPaint paint, SKShader shader)
    {
        paint.Style = SKPaintStyle.Fill;
        paint.Color = SKColors.White;
        paint.Shader = shader;
    }

    /// <summary>A thread's drawing surface for one size.</summary>
    private sealed class Canvas : IDisposable
    {
        public Canvas(int size)
        {
            Bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
            SkCanvas = new SKCanvas(Bitmap);
            Paint = new SKPaint { IsAntialias = true };
            Path = new SKPathBuilder();
        }

        public SKBitmap Bitmap { get; }
        public SKCanvas SkCanvas { get; }
        public SKPaint Paint { get; }
        public SKPathBuilder Path { get; }

        public void Dispose()
        {
            Path.Dispose();
            Paint.Dispose();
            SkCanvas.Dispose();
            Bitmap.Dispose();
        }
    }
}
