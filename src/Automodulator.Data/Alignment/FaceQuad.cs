using System.Numerics;

namespace Automodulator.Data.Alignment;

/// <summary>
/// The oriented square FFHQ crops a face with (NVlabs/ffhq-dataset, <c>recreate_aligned_images</c>): centre
/// <c>c0</c> and half-side vector <c>x</c> (pointing to the right of the face); <c>y</c> is <c>x</c> turned 90°
/// (pointing down). Coordinates are pixel centres of the source image (pixel (0,0) is centred at (0,0)), the
/// convention dlib's landmarks and the data sets' JSON use.
/// </summary>
public readonly record struct FaceQuad(double CenterX, double CenterY, double AxisX, double AxisY)
{
    public Vector2 Center => new((float)CenterX, (float)CenterY);

    /// <summary>Half-side vector towards the right edge of the aligned image.</summary>
    public Vector2 X => new((float)AxisX, (float)AxisY);

    /// <summary>Half-side vector towards the bottom edge of the aligned image (<c>flipud(x) * [-1, 1]</c>).</summary>
    public Vector2 Y => new((float)-AxisY, (float)AxisX);

    /// <summary>Side length in source pixels (<c>qsize</c> in the recipe).</summary>
    public double Size => 2 * Math.Sqrt(AxisX * AxisX + AxisY * AxisY);

    /// <summary>Rotation of the quad's x axis from the image's x axis, degrees (positive: clockwise on screen).</summary>
    public double AngleDegrees => Math.Atan2(AxisY, AxisX) * 180 / Math.PI;

    /// <summary>Corners in the recipe's order: top-left, bottom-left, bottom-right, top-right of the aligned image.</summary>
    public (double X, double Y)[] Corners =>
    [
        (CenterX - AxisX + AxisY, CenterY - AxisY - AxisX),
        (CenterX - AxisX - AxisY, CenterY - AxisY + AxisX),
        (CenterX + AxisX - AxisY, CenterY + AxisY + AxisX),
        (CenterX + AxisX + AxisY, CenterY + AxisY - AxisX),
    ];

    /// <summary>The same quad in an image scaled by <paramref name="factor"/> about the origin (pixel-centre convention).</summary>
    public FaceQuad Scaled(double factor) => new(CenterX * factor, CenterY * factor, AxisX * factor, AxisY * factor);

    public FaceQuad Translated(double dx, double dy) => this with { CenterX = CenterX + dx, CenterY = CenterY + dy };

    /// <summary>
    /// Where a source point lands in an aligned image of <paramref name="size"/> pixels (pixel-centre coordinates):
    /// the inverse of the recipe's QUAD transform, which maps the quad's corners onto the output's corners.
    /// </summary>
    public Vector2 ToAligned(double px, double py, int size)
    {
        var c = Corners;
        double ex = c[3].X - c[0].X, ey = c[3].Y - c[0].Y; // top edge, left to right
        double fx = c[1].X - c[0].X, fy = c[1].Y - c[0].Y; // left edge, top to bottom
        double dx = px - c[0].X, dy = py - c[0].Y;
        double u = (dx * ex + dy * ey) / (ex * ex + ey * ey), v = (dx * fx + dy * fy) / (fx * fx + fy * fy);
        return new Vector2((float)(u * size - 0.5), (float)(v * size - 0.5));
    }

    /// <summary>
    /// FFHQ's crop from dlib's 68 landmarks: eye centres are the means of points 36–41 and 42–47, the mouth centre
    /// the midpoint of corners 48 and 54.
    /// </summary>
    public static FaceQuad FromLandmarks68(ReadOnlySpan<Vector2> landmarks, bool rotateLevel = true)
    {
        if (landmarks.Length != 68)
            throw new ArgumentException($"FFHQ alignment needs dlib's 68 landmarks, got {landmarks.Length} points.", nameof(landmarks));
        return FromEyesAndMouth(Mean(landmarks[36..42]), Mean(landmarks[42..48]), landmarks[48], landmarks[54], rotateLevel);
    }

    /// <summary>The 68-landmark quad from interleaved coordinates x0, y0, x1, y1, … (136 values).</summary>
    public static FaceQuad FromLandmarks68(ReadOnlySpan<float> xy, bool rotateLevel = true) =>
        FromLandmarks68(ToPoints(xy, 68), rotateLevel);

    /// <summary>
    /// The same construction from five points in CelebA's order (<c>list_landmarks_celeba.txt</c>): left eye, right
    /// eye, nose, left mouth corner, right mouth corner ("left" = image left). The nose is not used by the recipe.
    /// </summary>
    public static FaceQuad FromFivePoints(ReadOnlySpan<Vector2> points, bool rotateLevel = true)
    {
        if (points.Length != 5)
            throw new ArgumentException($"Five-point alignment needs 5 points (eyes, nose, mouth corners), got {points.Length}.", nameof(points));
        return FromEyesAndMouth(points[0], points[1], points[3], points[4], rotateLevel);
    }

    /// <summary>The five-point quad from interleaved coordinates (10 values).</summary>
    public static FaceQuad FromFivePoints(ReadOnlySpan<float> xy, bool rotateLevel = true) =>
        FromFivePoints(ToPoints(xy, 5), rotateLevel);

    /// <summary>
    /// The recipe itself: x runs along eye-to-eye minus the eye-to-mouth vector turned 90°, scaled to
    /// max(2·|eye-to-eye|, 1.8·|eye-to-mouth|); the centre sits 0.1 of the way from the eyes' midpoint to the mouth.
    /// </summary>
    public static FaceQuad FromEyesAndMouth(Vector2 eyeLeft, Vector2 eyeRight, Vector2 mouthLeft, Vector2 mouthRight, bool rotateLevel = true)
    {
        double eax = (eyeLeft.X + (double)eyeRight.X) * 0.5, eay = (eyeLeft.Y + (double)eyeRight.Y) * 0.5;
        double eex = eyeRight.X - (double)eyeLeft.X, eey = eyeRight.Y - (double)eyeLeft.Y;
        double max = (mouthLeft.X + (double)mouthRight.X) * 0.5, may = (mouthLeft.Y + (double)mouthRight.Y) * 0.5;
        double emx = max - eax, emy = may - eay;
        double scale = Math.Max(Math.Sqrt(eex * eex + eey * eey) * 2.0, Math.Sqrt(emx * emx + emy * emy) * 1.8);
        if (!(scale > 0) || !double.IsFinite(scale))
            throw new ArgumentException("Landmarks are degenerate (eyes and mouth coincide or are not finite).");
        double xx, xy;
        if (rotateLevel)
        {
            // x = eye_to_eye - flipud(eye_to_mouth) * [-1, 1]
            xx = eex + emy;
            xy = eey - emx;
            double norm = Math.Sqrt(xx * xx + xy * xy);
            xx = xx / norm * scale;
            xy = xy / norm * scale;
        }
        else
        {
            xx = scale;
            xy = 0;
        }
        return new FaceQuad(eax + emx * 0.1, eay + emy * 0.1, xx, xy);
    }

    internal static Vector2[] ToPoints(ReadOnlySpan<float> xy, int count)
    {
        if (xy.Length != count * 2)
            throw new ArgumentException($"Expected {count} points as {count * 2} interleaved coordinates, got {xy.Length} values.");
        var points = new Vector2[count];
        for (int i = 0; i < count; i++) points[i] = new Vector2(xy[2 * i], xy[2 * i + 1]);
        return points;
    }

    private static Vector2 Mean(ReadOnlySpan<Vector2> points)
    {
        double sx = 0, sy = 0;
        foreach (var p in points) { sx += p.X; sy += p.Y; }
        return new Vector2((float)(sx / points.Length), (float)(sy / points.Length));
    }
}
