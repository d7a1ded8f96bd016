using System.Numerics;

namespace Automodulator.Data.Synthetic;

/// <summary>
/// The 68 landmarks of a rendered face in dlib's iBUG-300W order (jaw 0–16, brows 17–26, nose 27–35, eyes 36–47,
/// mouth 48–67), computed from the same geometry the renderer draws, so FFHQ / CelebA recipes can be tested against
/// known positions. Coordinates are continuous image coordinates: pixel (i, j) covers [i, i+1)×[j, j+1), so a point
/// mirrors as x → width − x. Subtract 0.5 for the "pixel centres are integers" convention (dlib, PIL).
/// </summary>
public sealed class FaceLandmarks
{
    /// <summary>dlib's left↔right correspondence: point i of a mirrored face is point MirrorIndex[i] of the original.</summary>
    public static readonly int[] MirrorIndex = BuildMirrorIndex();

    public FaceLandmarks(Vector2[] points)
    {
        if (points.Length != 68) throw new ArgumentException($"Expected 68 landmarks, got {points.Length}.", nameof(points));
        Points = points;
    }

    public IReadOnlyList<Vector2> Points { get; }

    /// <summary>Centre of the image-left eye (the subject's right), mean of points 36–41 as in the FFHQ recipe.</summary>
    public Vector2 LeftEyeCenter => Mean(36, 42);

    /// <summary>Centre of the image-right eye, mean of points 42–47.</summary>
    public Vector2 RightEyeCenter => Mean(42, 48);

    public Vector2 MouthLeft => Points[48];
    public Vector2 MouthRight => Points[54];

    /// <summary>Mid-point of the mouth corners, as the FFHQ recipe defines the mouth centre.</summary>
    public Vector2 MouthCenter => (Points[48] + Points[54]) * 0.5f;

    public Vector2 NoseTip => Points[30];

    /// <summary>The five CelebA landmarks: left eye, right eye, nose, left mouth corner, right mouth corner.</summary>
    public Vector2[] CelebAFivePoints() => [LeftEyeCenter, RightEyeCenter, NoseTip, MouthLeft, MouthRight];

    /// <summary>The landmarks of the mirrored image (width = the image width).</summary>
    public FaceLandmarks Mirror(float width)
    {
        var p = new Vector2[68];
        for (int i = 0; i < 68; i++)
        {
            var q = Points[MirrorIndex[i]];
            p[i] = new Vector2(width - q.X, q.Y);
        }
        return new FaceLandmarks(p);
    }

    /// <summary>The landmarks after an affine map (e.g. the resize/rotate used to build an in-the-wild fixture).</summary>
    public FaceLandmarks Transform(Matrix3x2 m) => new(Points.Select(q => Vector2.Transform(q, m)).ToArray());

    private Vector2 Mean(int from, int to)
    {
        var s = Vector2.Zero;
        for (int i = from; i < to; i++) s += Points[i];
        return s / (to - from);
    }

    private static int[] BuildMirrorIndex()
    {
        var m = new int[68];
        for (int i = 0; i < 68; i++) m[i] = i;
        void Pair(int a, int b) { m[a] = b; m[b] = a; }
        for (int i = 0; i < 8; i++) Pair(i, 16 - i);                       // jaw
        for (int i = 0; i < 5; i++) Pair(17 + i, 26 - i);                  // brows
        Pair(31, 35); Pair(32, 34);                                         // nostrils
        Pair(36, 45); Pair(37, 44); Pair(38, 43); Pair(39, 42); Pair(40, 47); Pair(41, 46); // eyes
        Pair(48, 54); Pair(49, 53); Pair(50, 52); Pair(55, 59); Pair(56, 58); // outer lips
        Pair(60, 64); Pair(61, 63); Pair(65, 67);                           // inner lips
        return m;
    }
}
