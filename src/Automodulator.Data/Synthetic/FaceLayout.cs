using System.Numerics;

namespace Automodulator.Data.Synthetic;

/// <summary>
/// Where every part of a synthetic face lands in an image of a given size. The head is a sphere-like ellipsoid
/// (half-width a, half-height b, depth a) seen orthographically; a point at longitude θ and latitude φ of the head
/// projects to x = (a·cos φ + protrusion)·sin(θ + yaw), y = −b·sin φ, then rolls about the head centre. Every
/// feature is placed symmetrically in θ, so negating yaw and roll and mirroring the centre mirrors the image.
/// </summary>
public sealed class FaceLayout
{
    internal const float EyeLatitude = 0.08f;
    internal const float MouthLatitude = -0.5f;

    public FaceLayout(FaceFactors factors, int size)
    {
        Factors = factors;
        Size = size;
        var c = factors.Coarse;
        Center = new Vector2(c.CenterX * size, c.CenterY * size);
        B = c.HeadSize * size;
        A = c.FaceWidth * B;
        Yaw = c.Yaw;
        (Sin, Cos) = MathF.SinCos(c.Roll);
        Landmarks = new FaceLandmarks(BuildLandmarks());
    }

    public FaceFactors Factors { get; }
    public int Size { get; }
    public Vector2 Center { get; }

    /// <summary>Head half-width and half-height in pixels.</summary>
    public float A { get; }
    public float B { get; }
    public float Yaw { get; }
    public FaceLandmarks Landmarks { get; }
    private float Sin { get; }
    private float Cos { get; }

    /// <summary>Eye longitude (half the angular eye distance).</summary>
    public float EyeLongitude => 0.4f * Factors.Intermediate.EyeSpacing;

    /// <summary>Half-width of the mouth in longitude.</summary>
    public float MouthHalfWidth => 0.3f * Factors.Intermediate.MouthWidth;

    /// <summary>A point of the head surface (plus a protrusion in units of a, e.g. the nose) in image coordinates.</summary>
    public Vector2 Project(float theta, float phi, float protrusion = 0)
    {
        float r = A * (MathF.Cos(phi) + protrusion);
        return Roll(r * MathF.Sin(theta + Yaw), -B * MathF.Sin(phi));
    }

    /// <summary>Foreshortening of a feature at longitude θ: 1 facing the camera, 0 at the silhouette.</summary>
    public float Foreshortening(float theta) => MathF.Max(MathF.Cos(theta + Yaw), 0);

    /// <summary>A point given relative to the head centre before roll, in image coordinates.</summary>
    public Vector2 Roll(float dx, float dy) => new(Center.X + Cos * dx - Sin * dy, Center.Y + Sin * dx + Cos * dy);

    /// <summary>Point of the face outline at parameter t (0 = top, π/2 = image right, π = chin), narrowing at the jaw.</summary>
    public Vector2 Outline(float t)
    {
        float ct = MathF.Cos(t), k = 1;
        if (ct < 0) k = 1 - (1 - Factors.Coarse.ChinWidth) * 0.5f * MathF.Pow(-ct, 1.5f);
        return Roll(A * MathF.Sin(t) * k, -B * ct);
    }

    /// <summary>Latitude of the hairline at longitude θ: the forehead line (lowered by the fringe), then down the sides.</summary>
    public float HairlineLatitude(float theta)
    {
        float fringe = Factors.Intermediate.Fringe, at = MathF.Abs(theta);
        const float temple = 0.95f;
        float front = 0.62f - 0.42f * fringe;
        if (at <= temple)
        {
            float u = at / temple;
            return front + (0.5f - front) * u * u * (0.4f + 0.6f * (1 - fringe));
        }
        float edge = front + (0.5f - front) * (0.4f + 0.6f * (1 - fringe));
        float s = MathF.Min((at - temple) / 0.6f, 1);
        return edge + (0.02f - edge) * s;
    }

    /// <summary>Centre, half-width and half-height of an eye (negative side = image left when yaw is 0).</summary>
    public (Vector2 Center, float HalfWidth, float HalfHeight) Eye(int side)
    {
        float theta = side * EyeLongitude;
        float w = 0.2f * A * Factors.Intermediate.EyeSize;
        return (Project(theta, EyeLatitude), w * MathF.Max(Foreshortening(theta), 0.05f), w * 0.48f * Factors.Intermediate.EyeOpenness);
    }

    /// <summary>Lip curves at u ∈ [−1, 1] across the mouth: 0 = mouth line, ±1 = upper / lower outer, ±0.5 inner.</summary>
    public Vector2 Mouth(float u, int curve)
    {
        var f = Factors.Intermediate;
        float theta = u * MouthHalfWidth;
        float line = MouthLatitude + 0.07f * f.Smile * u * u;
        float bulge = MathF.Sqrt(MathF.Max(0, 1 - u * u));
        float open = 0.09f * f.MouthOpen * bulge;
        float phi = curve switch
        {
            1 => line + open / 2 + 0.05f * bulge,          // upper outer
            -1 => line - open / 2 - 0.065f * bulge,        // lower outer
            2 => line + open / 2,                          // inner upper
            -2 => line - open / 2,                         // inner lower
            _ => line,
        };
        return Project(theta, phi, 0.04f * bulge);
    }

    public float NoseTipLatitude => -0.24f * Factors.Intermediate.NoseLength;

    private Vector2[] BuildLandmarks()
    {
        var p = new Vector2[68];
        // Jaw: along the outline from the image-left side at eye level, round the chin, to the right side.
        for (int j = 0; j < 17; j++) p[j] = Outline(3 * MathF.PI / 2 + 0.1f - j * (MathF.PI + 0.2f) / 16);
        // Brows 17–21 (image left, outer to inner) and 22–26 (inner to outer).
        for (int j = 0; j < 5; j++)
        {
            p[17 + j] = Brow(-1, -1 + j * 0.5f);
            p[26 - j] = Brow(1, 1 - j * 0.5f);
        }
        // Nose bridge 27–30 down to the tip, nostril base 31–35.
        float tip = NoseTipLatitude;
        for (int j = 0; j < 4; j++)
        {
            float t = j / 3f;
            p[27 + j] = Project(0, EyeLatitude + (tip - EyeLatitude) * t, 0.2f * t);
        }
        for (int j = 0; j < 5; j++)
        {
            float u = (j - 2) / 2f;
            p[31 + j] = Project(0.15f * u, tip - 0.05f + 0.02f * MathF.Abs(u), 0.12f * (1 - 0.6f * MathF.Abs(u)));
        }
        // Eyes, dlib order: outer corner, two upper, inner corner, two lower (left eye); the right eye starts inner.
        // Both eyes in dlib order read the same in image terms: left corner, upper left, upper right, right corner,
        // lower right, lower left (for the image-left eye the left corner is the outer one, for the other the inner).
        EyePoints(-1, p, 36);
        EyePoints(1, p, 42);
        // Outer lips 48–59 and inner lips 60–67.
        p[48] = Mouth(-1, 0);
        p[54] = Mouth(1, 0);
        for (int j = 1; j <= 5; j++) p[48 + j] = Mouth(-1 + j / 3f, 1);
        for (int j = 1; j <= 5; j++) p[54 + j] = Mouth(1 - j / 3f, -1);
        p[60] = Mouth(-0.9f, 0);
        p[64] = Mouth(0.9f, 0);
        for (int j = 1; j <= 3; j++) p[60 + j] = Mouth(-0.5f + (j - 1) * 0.5f, 2);
        for (int j = 1; j <= 3; j++) p[64 + j] = Mouth(0.5f - (j - 1) * 0.5f, -2);
        return p;
    }

    /// <summary>A point on a brow: side ±1, u ∈ [−1, 1] from image left to image right across that brow.</summary>
    public Vector2 Brow(int side, float u)
    {
        float theta = side * EyeLongitude + u * 0.2f;
        float phi = EyeLatitude + 0.17f * Factors.Intermediate.BrowHeight + 0.04f * (1 - u * u);
        return Project(theta, phi, 0.02f);
    }

    private void EyePoints(int side, Vector2[] p, int start)
    {
        var (c, w, h) = Eye(side);
        // Offsets in the eye's own frame, rolled with the head; lid points lie on the eye ellipse at ±w/2.
        Vector2 At(float dx, float dy) => new(c.X + Cos * dx - Sin * dy, c.Y + Sin * dx + Cos * dy);
        float s = 0.866f * h;
        p[start] = At(-w, 0);
        p[start + 1] = At(-w / 2, -s);
        p[start + 2] = At(w / 2, -s);
        p[start + 3] = At(w, 0);
        p[start + 4] = At(w / 2, s);
        p[start + 5] = At(-w / 2, s);
    }

    /// <summary>Rotates an offset by the head roll (for shapes drawn in a feature's own frame).</summary>
    public Vector2 RollOffset(Vector2 origin, float dx, float dy) => new(origin.X + Cos * dx - Sin * dy, origin.Y + Sin * dx + Cos * dy);

    /// <summary>Head roll in degrees, as Skia's canvas rotation wants it.</summary>
    public float RollDegrees => Factors.Coarse.Roll * 180 / MathF.PI;
}
