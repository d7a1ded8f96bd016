using System.Numerics;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>Rejects landmark sets an alignment recipe cannot use, with a reason a person can act on.</summary>
internal static class FaceLandmarkCheck
{
    /// <summary>
    /// All points finite and near the image (a quarter of its size of slack: detectors put points of faces cut by the
    /// border slightly outside), and the points the recipe builds its quad from (<paramref name="key"/>) inside it.
    /// </summary>
    public static void Validate(IReadOnlyList<Vector2> points, int expected, int width, int height, IEnumerable<Vector2> key)
    {
        if (points.Count != expected) throw new IngestRejectException($"expected {expected} landmarks, got {points.Count}");
        float sx = 0.25f * width, sy = 0.25f * height;
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y)) throw new IngestRejectException($"landmark {i} is not a number");
            if (p.X < -sx || p.Y < -sy || p.X > width + sx || p.Y > height + sy)
                throw new IngestRejectException($"landmark {i} ({p.X:F1}, {p.Y:F1}) is far outside the {width}×{height} image");
        }
        foreach (var k in key)
            if (k.X < -0.5f || k.Y < -0.5f || k.X > width - 0.5f || k.Y > height - 0.5f)
                throw new IngestRejectException($"eye or mouth point ({k.X:F1}, {k.Y:F1}) lies outside the {width}×{height} image");
    }
}
