namespace Automodulator.Data.Faces;

/// <summary>
/// A face rectangle in dlib's convention: <see cref="Right"/> and <see cref="Bottom"/> are the last pixel inside
/// (a box from x = 10 to 19 is 10 pixels wide), and the landmarker maps (Left, Top) → (0, 0), (Right, Bottom) → (1, 1).
/// </summary>
public readonly record struct FaceBox(double Left, double Top, double Right, double Bottom)
{
    public double Width => Right - Left + 1;
    public double Height => Bottom - Top + 1;
    public double CenterX => (Left + Right) / 2;
    public double CenterY => (Top + Bottom) / 2;
    public double Area => Width * Height;

    /// <summary>From a top-left corner and a size.</summary>
    public static FaceBox FromXywh(double x, double y, double width, double height) => new(x, y, x + width - 1, y + height - 1);

    /// <summary>The same box in an image scaled by <paramref name="factor"/> (pixel-centre convention).</summary>
    public FaceBox Scaled(double factor) => FromXywh(Left * factor, Top * factor, Width * factor, Height * factor);

    /// <summary>Intersection over union with another box.</summary>
    public double IoU(FaceBox other)
    {
        double w = Math.Min(Right + 1, other.Right + 1) - Math.Max(Left, other.Left);
        double h = Math.Min(Bottom + 1, other.Bottom + 1) - Math.Max(Top, other.Top);
        if (w <= 0 || h <= 0) return 0;
        double inter = w * h;
        return inter / (Area + other.Area - inter);
    }

    /// <summary>The box with integer corners (dlib's rectangle), rounding half up as dlib does.</summary>
    public FaceBox Rounded() => new(Math.Floor(Left + 0.5), Math.Floor(Top + 0.5), Math.Floor(Right + 0.5), Math.Floor(Bottom + 0.5));
}
