using SkiaSharp;

namespace Automodulator.Data.Synthetic;

/// <summary>An RGB colour with channels in [0, 1]: the colour factors of a synthetic face.</summary>
public readonly record struct FaceColor(float R, float G, float B)
{
    /// <summary>From hue (0..1), saturation and value, the natural way to sample plausible colours.</summary>
    public static FaceColor FromHsv(double h, double s, double v)
    {
        h = (h % 1 + 1) % 1 * 6;
        int i = (int)Math.Floor(h);
        double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        var (r, g, b) = i switch
        {
            0 => (v, t, p), 1 => (q, v, p), 2 => (p, v, t), 3 => (p, q, v), 4 => (t, p, v), _ => (v, p, q),
        };
        return new FaceColor((float)r, (float)g, (float)b);
    }

    /// <summary>This colour scaled (darker below 1, lighter above), clamped.</summary>
    public FaceColor Scale(float k) => new(Math.Clamp(R * k, 0, 1), Math.Clamp(G * k, 0, 1), Math.Clamp(B * k, 0, 1));

    /// <summary>Linear mix: t = 0 gives this colour, t = 1 gives <paramref name="other"/>.</summary>
    public FaceColor Mix(FaceColor other, float t) => new(R + (other.R - R) * t, G + (other.G - G) * t, B + (other.B - B) * t);

    public SKColor ToSk(byte alpha = 255) => new(ToByte(R), ToByte(G), ToByte(B), alpha);

    private static byte ToByte(float c) => (byte)Math.Clamp((int)MathF.Round(c * 255f), 0, 255);

    public override string ToString() => $"#{ToByte(R):x2}{ToByte(G):x2}{ToByte(B):x2}";
}
