using System.Numerics;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Alignment;

/// <summary>
/// FFHQ's alignment (NVlabs/ffhq-dataset, <c>download_ffhq.py</c>, <c>recreate_aligned_images</c>) for 68-point
/// (dlib) or five-point (CelebA) landmarks: oriented quad → integer shrink (Lanczos) → crop with a 10% border →
/// reflect-pad, blur and fade where the quad leaves the image → bilinear QUAD warp → Lanczos resize to the output.
/// The steps and their numbers are the recipe's; the work is not: only the pixels the warp reads are shrunk, padded
/// and blended, the blur runs on a coarse grid (exact when the blur is narrower than 3 pixels) and the warp goes
/// through the smallest intermediate that still samples every source pixel (see <see cref="FfhqAlignOptions"/>).
/// Thread-safe; one instance can serve many threads.
/// </summary>
public sealed class FfhqAligner
{
    public FfhqAligner(FfhqAlignOptions? options = null)
    {
        Options = options ?? new FfhqAlignOptions();
        Options.Validate();
    }

    public FfhqAlignOptions Options { get; }

    public AlignedFace AlignLandmarks68(RgbImage image, ReadOnlySpan<Vector2> landmarks) =>
        Align(image, FaceQuad.FromLandmarks68(landmarks, Options.RotateLevel));

    /// <summary>68 landmarks as interleaved x0, y0, x1, y1, … (136 values), e.g. ffhq-dataset-v2.json's face_landmarks.</summary>
    public AlignedFace AlignLandmarks68(RgbImage image, ReadOnlySpan<float> xy) =>
        Align(image, FaceQuad.FromLandmarks68(xy, Options.RotateLevel));

    /// <summary>CelebA's five points: left eye, right eye, nose, left mouth corner, right mouth corner.</summary>
    public AlignedFace AlignFivePoints(RgbImage image, ReadOnlySpan<Vector2> points) =>
        Align(image, FaceQuad.FromFivePoints(points, Options.RotateLevel));

    /// <summary>Five points as interleaved coordinates (10 values, list_landmarks_celeba.txt order).</summary>
    public AlignedFace AlignFivePoints(RgbImage image, ReadOnlySpan<float> xy) =>
        Align(image, FaceQuad.FromFivePoints(xy, Options.RotateLevel));

    /// <summary>Runs the recipe for a quad given in <paramref name="image"/>'s pixel-centre coordinates.</summary>
    public AlignedFace Align(RgbImage image, FaceQuad quad)
    {
        int size = Options.OutputSize;
        double qsize = quad.Size;
        if (!(qsize > 0) || !double.IsFinite(qsize)) throw new ArgumentException("The face quad is empty or not finite.", nameof(quad));

        // Shrink: the recipe resizes the whole photo by an integer factor when the face is over twice the output size.
        int shrink = (int)Math.Floor(qsize / size * 0.5);
        int levelW = image.Width, levelH = image.Height;
        var q = quad;
        if (shrink > 1)
        {
            levelW = (int)Math.Round((double)image.Width / shrink, MidpointRounding.ToEven);
            levelH = (int)Math.Round((double)image.Height / shrink, MidpointRounding.ToEven);
            q = quad.Scaled(1.0 / shrink);
            qsize /= shrink;
        }

        // Crop: the quad's bounding box plus a border of 10% of its size, clipped to the image.
        int border = Math.Max((int)Math.Round(qsize * 0.1, MidpointRounding.ToEven), 3);
        var (minX, minY, maxX, maxY) = Bounds(q);
        int cx0 = Math.Max(minX - border, 0), cy0 = Math.Max(minY - border, 0);
        int cx1 = Math.Min(maxX + border, levelW), cy1 = Math.Min(maxY + border, levelH);
        if (cx1 <= cx0 || cy1 <= cy0)
            throw new ArgumentException($"The face quad (centre {quad.CenterX:F0},{quad.CenterY:F0}, size {quad.Size:F0}) lies outside the {image.Width}×{image.Height} image.");
        RgbImage crop = shrink > 1
            ? Resampler.ResizeRegion(image, levelW, levelH, cx0, cy0, cx1 - cx0, cy1 - cy0)
            : Copy(image, cx0, cy0, cx1 - cx0, cy1 - cy0);
        q = q.Translated(-cx0, -cy0);

        // Pad: only when the quad comes within 4 pixels of the crop's edge; then at least 30% of the quad size.
        (minX, minY, maxX, maxY) = Bounds(q);
        int cw = crop.Width, ch = crop.Height;
        int p0 = Math.Max(-minX + border, 0), p1 = Math.Max(-minY + border, 0);
        int p2 = Math.Max(maxX - cw + border, 0), p3 = Math.Max(maxY - ch + border, 0);
        bool padded = false;
        RgbImage work = crop;
        if (Options.EnablePadding && Math.Max(Math.Max(p0, p1), Math.Max(p2, p3)) > border - 4)
        {
            int minPad = (int)Math.Round(qsize * 0.3, MidpointRounding.ToEven);
            p0 = Math.Max(p0, minPad); p1 = Math.Max(p1, minPad); p2 = Math.Max(p2, minPad); p3 = Math.Max(p3, minPad);
            var padding = new ReflectPadding(crop, p0, p1, p2, p3, qsize * 0.02);
            q = q.Translated(p0, p1);
            // Only the quad's bounding box (+1 pixel for bilinear) of the padded image is ever read by the warp.
            (minX, minY, maxX, maxY) = Bounds(q);
            int rx0 = Math.Max(minX - 1, 0), ry0 = Math.Max(minY - 1, 0);
            int rx1 = Math.Min(maxX + 2, padding.Width), ry1 = Math.Min(maxY + 2, padding.Height);
            work = padding.Render(rx0, ry0, rx1 - rx0, ry1 - ry0);
            q = q.Translated(-rx0, -ry0);
            padded = true;
        }

        var aligned = QuadWarp.Warp(work, q, size, IntermediateSize(q.Size, size), Options.Simd);
        return new AlignedFace(aligned, quad, Math.Max(shrink, 1), padded);
    }

    /// <summary>
    /// The rectangle [X0, X1) × [Y0, Y1) of a <paramref name="width"/>×<paramref name="height"/> image that
    /// <see cref="Align"/> reads for <paramref name="quad"/>: the crop (the quad's bounds plus the recipe's border),
    /// or the whole image when the recipe shrinks it first. Lets a caller decode only that much of a photo.
    /// </summary>
    public (int X0, int Y0, int X1, int Y1) SourceRegion(FaceQuad quad, int width, int height)
    {
        double qsize = quad.Size;
        if (!(qsize > 0) || !double.IsFinite(qsize)) return (0, 0, width, height);
        int shrink = (int)Math.Floor(qsize / Options.OutputSize * 0.5);
        if (shrink > 1) return (0, 0, width, height);
        int border = Math.Max((int)Math.Round(qsize * 0.1, MidpointRounding.ToEven), 3);
        var (minX, minY, maxX, maxY) = Bounds(quad);
        return (Math.Clamp(minX - border, 0, width), Math.Clamp(minY - border, 0, height),
                Math.Clamp(maxX + border, 0, width), Math.Clamp(maxY + border, 0, height));
    }

    /// <summary>
    /// Side of the bilinear warp's output before the Lanczos resize: the recipe's transform size, or (fast path) the
    /// smallest multiple m·size with m ≥ quad/size (so no source pixel is skipped), at least 2·size: with m = 1 the
    /// recipe's Lanczos smoothing of upsampled faces would be missing (measurably: the recipe-output tests fail).
    /// </summary>
    private int IntermediateSize(double quadSize, int size)
    {
        int t = Math.Max(Options.TransformSize, size);
        if (Options.ExactTransform) return t;
        int m = Math.Clamp((int)Math.Ceiling(quadSize / size), 2, 8);
        return Math.Min(t, m * size);
    }

    private static (int MinX, int MinY, int MaxX, int MaxY) Bounds(FaceQuad q)
    {
        var c = q.Corners;
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (x, y) in c)
        {
            minX = Math.Min(minX, x); minY = Math.Min(minY, y);
            maxX = Math.Max(maxX, x); maxY = Math.Max(maxY, y);
        }
        return ((int)Math.Floor(minX), (int)Math.Floor(minY), (int)Math.Ceiling(maxX), (int)Math.Ceiling(maxY));
    }

    private static RgbImage Copy(RgbImage image, int x0, int y0, int w, int h)
    {
        if (x0 == 0 && y0 == 0 && w == image.Width && h == image.Height) return image;
        var result = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            image.Pixels.AsSpan(((y0 + y) * image.Width + x0) * 3, w * 3).CopyTo(result.Row(y));
        return result;
    }
}
