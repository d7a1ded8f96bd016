using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Faces;

/// <summary>
/// dlib's <c>shape_predictor::operator()</c> (Kazemi &amp; Sullivan, "One Millisecond Face Alignment with an Ensemble
/// of Regression Trees", CVPR 2014) in C#: start from the mean shape placed in the face box; per cascade level, fit
/// the similarity transform from the mean shape to the current shape, read each feature pixel at its anchor landmark
/// plus the transformed delta (grey = (R+G+B)/3, 0 outside the image), walk every tree on pixel-difference tests and
/// add the leaves' shape increments. Arithmetic follows dlib's float/double split so results match it to rounding.
/// Thread-safe.
/// </summary>
public sealed class ShapePredictor
{
    private static readonly ConcurrentDictionary<string, Lazy<ShapePredictor>> Cache = new();

    public ShapePredictor(ShapePredictorModel model) => Model = model;

    public ShapePredictorModel Model { get; }

    /// <summary>Loads a model once per process (by full path) and shares it.</summary>
    public static ShapePredictor Load(string path) =>
        Cache.GetOrAdd(Path.GetFullPath(path), p => new Lazy<ShapePredictor>(() => new ShapePredictor(DlibShapePredictorReader.Read(p)))).Value;

    /// <summary>
    /// The landmarks for a face box, in image pixel coordinates (pixel-centre convention), before dlib's final
    /// rounding to integer points (see <see cref="RoundLikeDlib"/>).
    /// </summary>
    public Vector2[] Predict(RgbImage image, FaceBox box) =>
        Predict(image, box, new PixelRect(0, 0, image.Width, image.Height), out _);

    /// <summary>
    /// <see cref="Predict(RgbImage, FaceBox)"/> on an image whose pixels are valid only inside <paramref name="valid"/>
    /// (a <see cref="PartialPhoto"/>); <paramref name="stayedInside"/> is false when a feature pixel inside the image
    /// fell outside it, and then the result is not to be used.
    /// </summary>
    public Vector2[] Predict(RgbImage image, FaceBox box, PixelRect valid, out bool stayedInside)
    {
        stayedInside = true;
        var m = Model;
        int n = m.LeafLength;
        var shape = (float[])m.InitialShape.Clone();
        var features = new float[m.FeaturesPerLevel];
        double bw = box.Right - box.Left, bh = box.Bottom - box.Top;
        var px = image.Pixels;
        int w = image.Width, h = image.Height;
        int splits = m.SplitsPerTree, leaves = m.LeavesPerTree;
        var shapeSpan = shape.AsSpan();

        for (int level = 0; level < m.Levels; level++)
        {
            var (a, b) = SimilarityToCurrent(m.InitialShape, shape);
            float m00 = (float)a, m01 = (float)-b, m10 = (float)b, m11 = (float)a;
            int fb = level * m.FeaturesPerLevel;
            for (int i = 0; i < features.Length; i++)
            {
                int anchor = m.AnchorIndex[fb + i];
                float dx = m.DeltaX[fb + i], dy = m.DeltaY[fb + i];
                // Float, in dlib's order: tform * delta + location(current_shape, anchor).
                float sx = m00 * dx + m01 * dy + shape[2 * anchor];
                float sy = m10 * dx + m11 * dy + shape[2 * anchor + 1];
                long ix = (long)Math.Floor(box.Left + bw * sx + 0.5), iy = (long)Math.Floor(box.Top + bh * sy + 0.5);
                if ((ulong)ix < (ulong)w && (ulong)iy < (ulong)h)
                {
                    if (ix < valid.X0 || ix >= valid.X1 || iy < valid.Y0 || iy >= valid.Y1) stayedInside = false;
                    int o = (int)(iy * w + ix) * 3;
                    features[i] = (px[o] + px[o + 1] + px[o + 2]) / 3;
                }
                else
                {
                    features[i] = 0;
                }
            }

            int treeBase = level * m.TreesPerLevel;
            for (int t = 0; t < m.TreesPerLevel; t++)
            {
                int sb = (treeBase + t) * splits, node = 0;
                while (node < splits)
                    node = features[m.SplitIndex1[sb + node]] - features[m.SplitIndex2[sb + node]] > m.SplitThreshold[sb + node]
                        ? 2 * node + 1
                        : 2 * node + 2;
                Add(shapeSpan, m.LeafValues.AsSpan(((treeBase + t) * leaves + node - splits) * n, n));
            }
        }

        var points = new Vector2[m.Parts];
        for (int i = 0; i < points.Length; i++)
            points[i] = new Vector2((float)(box.Left + bw * shape[2 * i]), (float)(box.Top + bh * shape[2 * i + 1]));
        return points;
    }

    /// <summary>dlib returns integer points: each coordinate rounded half up.</summary>
    public static Vector2[] RoundLikeDlib(ReadOnlySpan<Vector2> points)
    {
        var r = new Vector2[points.Length];
        for (int i = 0; i < r.Length; i++) r[i] = new Vector2(MathF.Floor(points[i].X + 0.5f), MathF.Floor(points[i].Y + 0.5f));
        return r;
    }

    /// <summary>
    /// The least-squares similarity (scale·rotation, no reflection) taking the mean shape to the current one: the
    /// closed form of Umeyama's estimate that dlib's find_similarity_transform computes with an SVD. Only its 2×2
    /// part [[a, −b], [b, a]] is used; double precision, as in dlib.
    /// </summary>
    private static (double A, double B) SimilarityToCurrent(float[] from, float[] to)
    {
        int n = from.Length / 2;
        double mfx = 0, mfy = 0, mtx = 0, mty = 0;
        for (int i = 0; i < n; i++)
        {
            mfx += from[2 * i]; mfy += from[2 * i + 1];
            mtx += to[2 * i]; mty += to[2 * i + 1];
        }
        mfx /= n; mfy /= n; mtx /= n; mty /= n;
        double dot = 0, cross = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double fx = from[2 * i] - mfx, fy = from[2 * i + 1] - mfy;
            double tx = to[2 * i] - mtx, ty = to[2 * i + 1] - mty;
            dot += fx * tx + fy * ty;
            cross += fx * ty - fy * tx;
            norm += fx * fx + fy * fy;
        }
        return norm == 0 ? (1, 0) : (dot / norm, cross / norm);
    }

    private static void Add(Span<float> target, ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var t = MemoryMarshal.Cast<float, Vector<float>>(target);
            var v = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int k = 0; k < t.Length; k++) t[k] += v[k];
            i = t.Length * Vector<float>.Count;
        }
        for (; i < target.Length; i++) target[i] += values[i];
    }
}
