using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Xml.Linq;

namespace Automodulator.Data.Faces;

/// <summary>
/// An OpenCV Haar cascade (the "opencv-cascade-classifier" XML that Debian's <c>opencv-data</c> ships in
/// /usr/share/opencv4/haarcascades): boosted stages of small decision trees over Haar-like rectangle features,
/// evaluated on integral images of a variance-normalised window, as OpenCV's <c>CascadeClassifier</c> does
/// (Viola &amp; Jones 2001; Lienhart &amp; Maydt 2002). Upright features only (the frontal-face cascades have no tilted ones).
/// </summary>
public sealed class HaarCascade
{
    internal readonly record struct Rect(int X, int Y, int W, int H, float Weight);

    internal readonly record struct Node(int Left, int Right, int Feature, float Threshold);

    internal readonly record struct Stage(int FirstTree, int TreeCount, float Threshold);

    private HaarCascade(int width, int height, Stage[] stages, int[] treeRoots, Node[] nodes, int[] treeLeafBase, float[] leaves, Rect[][] features)
    {
        WindowWidth = width;
        WindowHeight = height;
        Stages = stages;
        TreeRoots = treeRoots;
        Nodes = nodes;
        TreeLeafBase = treeLeafBase;
        Leaves = leaves;
        Features = features;
    }

    public int WindowWidth { get; }
    public int WindowHeight { get; }
    internal Stage[] Stages { get; }
    internal int[] TreeRoots { get; }
    internal Node[] Nodes { get; }
    internal int[] TreeLeafBase { get; }
    internal float[] Leaves { get; }
    internal Rect[][] Features { get; }

    public int StageCount => Stages.Length;

    public static HaarCascade Load(string path)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Face detector cascade {path} does not exist. {FaceDetector.InstallHint}", path, e);
        }
        catch (System.Xml.XmlException e)
        {
            throw new FormatException($"{path} is not a valid OpenCV cascade XML: {e.Message}", e);
        }
        return Parse(doc, Path.GetFileName(path));
    }

    internal static HaarCascade Parse(XDocument doc, string source)
    {
        var cascade = doc.Root?.Element("cascade")
            ?? throw new FormatException($"{source} has no <cascade> element (an OpenCV 3/4 cascade XML is expected).");
        string Text(XElement parent, string name) => parent.Element(name)?.Value.Trim()
            ?? throw new FormatException($"{source}: <{name}> is missing.");
        if (Text(cascade, "featureType") != "HAAR")
            throw new FormatException($"{source} is a {Text(cascade, "featureType")} cascade; a HAAR cascade is expected.");
        int width = int.Parse(Text(cascade, "width"), CultureInfo.InvariantCulture);
        int height = int.Parse(Text(cascade, "height"), CultureInfo.InvariantCulture);

        var stages = new List<Stage>();
        var roots = new List<int>();
        var leafBase = new List<int>();
        var nodes = new List<Node>();
        var leaves = new List<float>();
        foreach (var st in cascade.Element("stages")!.Elements("_"))
        {
            int first = roots.Count;
            foreach (var weak in st.Element("weakClassifiers")!.Elements("_"))
            {
                var internalNodes = Numbers(Text(weak, "internalNodes"));
                var leafValues = Numbers(Text(weak, "leafValues"));
                if (internalNodes.Length % 4 != 0) throw new FormatException($"{source}: internalNodes must come in fours.");
                roots.Add(nodes.Count);
                leafBase.Add(leaves.Count);
                for (int i = 0; i < internalNodes.Length; i += 4)
                    nodes.Add(new Node((int)internalNodes[i], (int)internalNodes[i + 1], (int)internalNodes[i + 2], (float)internalNodes[i + 3]));
                leaves.AddRange(leafValues.Select(v => (float)v));
            }
            stages.Add(new Stage(first, roots.Count - first, (float)double.Parse(Text(st, "stageThreshold"), CultureInfo.InvariantCulture)));
        }
        var features = new List<Rect[]>();
        foreach (var f in cascade.Element("features")!.Elements("_"))
        {
            if (f.Element("tilted")?.Value.Trim() == "1") throw new FormatException($"{source} uses tilted features (unsupported).");
            features.Add(f.Element("rects")!.Elements("_").Select(r =>
            {
                var v = Numbers(r.Value);
                return new Rect((int)v[0], (int)v[1], (int)v[2], (int)v[3], (float)v[4]);
            }).ToArray());
        }
        if (stages.Count == 0 || features.Count == 0) throw new FormatException($"{source} holds no stages or features.");
        return new HaarCascade(width, height, stages.ToArray(), roots.ToArray(), nodes.ToArray(), leafBase.ToArray(), leaves.ToArray(), features.ToArray());
    }

    /// <summary>The cascade flattened for one integral-image stride: per node its rectangles' corner offsets.</summary>
    internal Layout LayoutFor(int stride) => new(this, stride);

    internal sealed class Layout
    {
        private readonly int[] _left, _right, _rectStart, _rectCount, _offsets;
        private readonly float[] _threshold, _weights;
        private readonly HaarCascade _c;

        internal Layout(HaarCascade c, int stride)
        {
            _c = c;
            int n = c.Nodes.Length;
            _left = new int[n]; _right = new int[n]; _threshold = new float[n];
            _rectStart = new int[n]; _rectCount = new int[n];
            var offsets = new List<int>();
            var weights = new List<float>();
            for (int i = 0; i < n; i++)
            {
                var node = c.Nodes[i];
                _left[i] = node.Left; _right[i] = node.Right; _threshold[i] = node.Threshold;
                _rectStart[i] = weights.Count;
                foreach (var q in c.Features[node.Feature])
                {
                    offsets.Add(q.Y * stride + q.X);
                    offsets.Add(q.Y * stride + q.X + q.W);
                    offsets.Add((q.Y + q.H) * stride + q.X);
                    offsets.Add((q.Y + q.H) * stride + q.X + q.W);
                    weights.Add(q.Weight);
                }
                _rectCount[i] = weights.Count - _rectStart[i];
            }
            _offsets = offsets.ToArray();
            _weights = weights.ToArray();
        }

        /// <summary>−1 when the window at integral offset p passes every stage, else the stage that rejected it.</summary>
        internal int Evaluate(int[] sum, int p, float inv, int firstStage = 0)
        {
            var stages = _c.Stages;
            var roots = _c.TreeRoots;
            var leafBase = _c.TreeLeafBase;
            var leaves = _c.Leaves;
            // The caller guarantees every window lies inside the integral image, so offsets need no bounds checks.
            ref int sumRef = ref MemoryMarshal.GetArrayDataReference(sum);
            for (int si = firstStage; si < stages.Length; si++)
            {
                var stage = stages[si];
                float total = 0;
                for (int t = stage.FirstTree, end = stage.FirstTree + stage.TreeCount; t < end; t++)
                {
                    int root = roots[t], idx = 0;
                    do
                    {
                        int node = root + idx;
                        float val = 0;
                        for (int r = _rectStart[node], rEnd = r + _rectCount[node]; r < rEnd; r++)
                        {
                            ref int o = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_offsets), r * 4);
                            ref int s0 = ref Unsafe.Add(ref sumRef, p);
                            val += Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_weights), r) *
                                   (Unsafe.Add(ref s0, o) - Unsafe.Add(ref s0, Unsafe.Add(ref o, 1)) - Unsafe.Add(ref s0, Unsafe.Add(ref o, 2)) + Unsafe.Add(ref s0, Unsafe.Add(ref o, 3)));
                        }
                        idx = val * inv < _threshold[node] ? _left[node] : _right[node];
                    } while (idx > 0);
                    total += leaves[leafBase[t] - idx];
                }
                if (total < stage.Threshold) return si;
            }
            return -1;
        }

        /// <summary>
        /// Stage <paramref name="si"/> for 8 windows anywhere in the integral image (AVX2 gathers: lane i reads at
        /// <paramref name="p"/>[i] plus the corner offsets), with the scalar code's arithmetic in the same order.
        /// Returns all-ones in the lanes the stage rejects. This is how the windows that outlive their 8-window
        /// block are finished: packed 8 to a vector instead of one by one.
        /// </summary>
        internal unsafe Vector256<int> RejectsAtStage(int* sum, Vector256<int> p, Vector256<float> inv, int si)
        {
            var stage = _c.Stages[si];
            var roots = _c.TreeRoots;
            int nodeCount = _c.Nodes.Length;
            var total = Vector256<float>.Zero;
            Span<Vector256<int>> next = stackalloc Vector256<int>[8];
            for (int t = stage.FirstTree, end = stage.FirstTree + stage.TreeCount; t < end; t++)
            {
                int root = roots[t];
                int count = (t + 1 < roots.Length ? roots[t + 1] : nodeCount) - root;
                if (count > next.Length) throw new NotSupportedException("Trees of more than 8 nodes are not supported by the SIMD path.");
                for (int k = 0; k < count; k++)
                {
                    int node = root + k;
                    var val = Vector256<float>.Zero;
                    for (int r = _rectStart[node], rEnd = r + _rectCount[node]; r < rEnd; r++)
                    {
                        int o = r * 4;
                        var rs = Avx2.GatherVector256(sum, p + Vector256.Create(_offsets[o]), 4)
                               - Avx2.GatherVector256(sum, p + Vector256.Create(_offsets[o + 1]), 4)
                               - Avx2.GatherVector256(sum, p + Vector256.Create(_offsets[o + 2]), 4)
                               + Avx2.GatherVector256(sum, p + Vector256.Create(_offsets[o + 3]), 4);
                        val += Vector256.Create(_weights[r]) * Vector256.ConvertToSingle(rs);
                    }
                    var goLeft = Vector256.LessThan(val * inv, Vector256.Create(_threshold[node])).AsInt32();
                    next[k] = Vector256.ConditionalSelect(goLeft, Vector256.Create(_left[node]), Vector256.Create(_right[node]));
                }
                total += TreeLeaf(next, count, _c.TreeLeafBase[t], _c.Leaves);
            }
            return Vector256.LessThan(total, Vector256.Create(stage.Threshold)).AsInt32();
        }
    }

    /// <summary>
    /// Per lane, the leaf value a tree reaches, given each node's branch (<paramref name="next"/>[k]: the child of
    /// node k, relative to the root, or −leaf when it is a leaf), as the scalar walk from node 0 does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TreeLeaf(ReadOnlySpan<Vector256<int>> next, int count, int leafBase, float[] leaves)
    {
        var idx = next[0];
        for (int step = 1; step < count; step++)
            for (int k = 1; k < count; k++)
                idx = Vector256.ConditionalSelect(Vector256.Equals(idx, Vector256.Create(k)), next[k], idx);
        var leaf = Vector256.Create(leaves[leafBase]);
        for (int l = 1; l <= count; l++)
            leaf = Vector256.ConditionalSelect(Vector256.Equals(idx, Vector256.Create(-l)).AsSingle(), Vector256.Create(leaves[leafBase + l]), leaf);
        return leaf;
    }

    /// <summary>
    /// The cascade evaluated for 8 neighbouring windows at once (AVX2): the integral-image reads of 8 windows one step
    /// apart are 8 consecutive ints, either directly (step 1) or in an even/odd de-interleaved copy of the integral
    /// images (step 2). Every lane does the scalar code's arithmetic in the same order (no fused multiply-add), so
    /// each window's verdict is bit-identical to <see cref="Layout.Evaluate"/>. A block stops once at most
    /// <see cref="HandOffLanes"/> windows are still alive (here 8 lanes cost what 1 does; gathered reads cost more
    /// than these contiguous ones): those are packed with other blocks' survivors and finished by
    /// <see cref="Layout.RejectsAtStage"/>.
    /// </summary>
    internal sealed class SimdStages
    {
        internal const int HandOffLanes = 2;
        private readonly int[] _offsets;      // per rectangle 4 corner offsets, per node its rectangles
        private readonly float[] _weights;    // per rectangle
        private readonly int[] _nodeRectStart, _nodeRectCount;
        private readonly int _n0, _n1, _n2, _n3; // the variance-normalisation rectangle (the window less a 1-pixel rim)
        private readonly double _area;
        private readonly HaarCascade _c;

        /// <param name="map">Maps an integral-image offset to the offset in the arrays the SIMD loads read.</param>
        internal SimdStages(HaarCascade c, int stride, Func<int, int> map)
        {
            _c = c;
            int n = c.Nodes.Length;
            _nodeRectStart = new int[n]; _nodeRectCount = new int[n];
            var offsets = new List<int>();
            var weights = new List<float>();
            for (int i = 0; i < n; i++)
            {
                _nodeRectStart[i] = weights.Count;
                foreach (var q in c.Features[c.Nodes[i].Feature])
                {
                    offsets.Add(map(q.Y * stride + q.X));
                    offsets.Add(map(q.Y * stride + q.X + q.W));
                    offsets.Add(map((q.Y + q.H) * stride + q.X));
                    offsets.Add(map((q.Y + q.H) * stride + q.X + q.W));
                    weights.Add(q.Weight);
                }
                _nodeRectCount[i] = weights.Count - _nodeRectStart[i];
            }
            _offsets = offsets.ToArray();
            _weights = weights.ToArray();
            int nw = c.WindowWidth - 2, nh = c.WindowHeight - 2;
            _n0 = map(stride + 1); _n1 = map(stride + 1 + nw); _n2 = map((nh + 1) * stride + 1); _n3 = map((nh + 1) * stride + 1 + nw);
            _area = nw * nh;
        }

        /// <summary>
        /// The 8 windows whose integral reads start at index <paramref name="p"/> of <paramref name="sum"/> and
        /// <paramref name="sq"/> (squares, wrapped to 32 bits: a window's sum of squares fits, so differences are
        /// exact). Returns per lane the stage that rejected it; lanes equal to <paramref name="resume"/> are still
        /// alive and continue at that stage (== the stage count: passed them all). <paramref name="inv"/>: each
        /// window's 1/(σ·area), as the scalar code computes it.
        /// </summary>
        internal Vector256<int> Evaluate(int[] sum, int[] sq, int p, out Vector256<float> inv, out int resume)
        {
            ref int d = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(sum), p);
            ref int q2 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(sq), p);
            var s = Vector256.LoadUnsafe(ref d, (nuint)_n0) - Vector256.LoadUnsafe(ref d, (nuint)_n1) - Vector256.LoadUnsafe(ref d, (nuint)_n2) + Vector256.LoadUnsafe(ref d, (nuint)_n3);
            var s2 = Vector256.LoadUnsafe(ref q2, (nuint)_n0) - Vector256.LoadUnsafe(ref q2, (nuint)_n1) - Vector256.LoadUnsafe(ref q2, (nuint)_n2) + Vector256.LoadUnsafe(ref q2, (nuint)_n3);
            inv = Vector256.Create(InvNorm(s.GetLower(), s2.GetLower()), InvNorm(s.GetUpper(), s2.GetUpper()));

            ref int off = ref MemoryMarshal.GetArrayDataReference(_offsets);
            ref float wts = ref MemoryMarshal.GetArrayDataReference(_weights);
            var verdict = Vector256<int>.Zero;
            var alive = Vector256<int>.AllBitsSet;
            var stages = _c.Stages;
            var roots = _c.TreeRoots;
            var nodes = _c.Nodes;
            var leafBase = _c.TreeLeafBase;
            var leaves = _c.Leaves;
            Span<Vector256<int>> next = stackalloc Vector256<int>[8];
            for (int si = 0; si < stages.Length; si++)
            {
                var stage = stages[si];
                var total = Vector256<float>.Zero;
                for (int t = stage.FirstTree, end = stage.FirstTree + stage.TreeCount; t < end; t++)
                {
                    int root = roots[t];
                    int count = (t + 1 < roots.Length ? roots[t + 1] : nodes.Length) - root;
                    if (count > next.Length) throw new NotSupportedException("Trees of more than 8 nodes are not supported by the SIMD path.");
                    for (int k = 0; k < count; k++)
                    {
                        int node = root + k;
                        var val = Vector256<float>.Zero;
                        for (int r = _nodeRectStart[node], rEnd = r + _nodeRectCount[node]; r < rEnd; r++)
                        {
                            ref int o = ref Unsafe.Add(ref off, r * 4);
                            var rs = Vector256.LoadUnsafe(ref d, (nuint)o) - Vector256.LoadUnsafe(ref d, (nuint)Unsafe.Add(ref o, 1))
                                   - Vector256.LoadUnsafe(ref d, (nuint)Unsafe.Add(ref o, 2)) + Vector256.LoadUnsafe(ref d, (nuint)Unsafe.Add(ref o, 3));
                            val += Vector256.Create(Unsafe.Add(ref wts, r)) * Vector256.ConvertToSingle(rs);
                        }
                        ref readonly var nd = ref nodes[node];
                        var goLeft = Vector256.LessThan(val * inv, Vector256.Create(nd.Threshold)).AsInt32();
                        next[k] = Vector256.ConditionalSelect(goLeft, Vector256.Create(nd.Left), Vector256.Create(nd.Right));
                    }
                    // Walk the tree per lane: idx > 0 is an internal node (relative to the root), idx ≤ 0 the leaf −idx.
                    total += TreeLeaf(next, count, leafBase[t], leaves);
                }
                var rejected = Vector256.LessThan(total, Vector256.Create(stage.Threshold)).AsInt32() & alive;
                verdict = Vector256.ConditionalSelect(rejected, Vector256.Create(si), verdict);
                alive &= ~rejected;
                if (BitOperations.PopCount(alive.ExtractMostSignificantBits()) <= HandOffLanes || si == stages.Length - 1)
                {
                    resume = si + 1;
                    return Vector256.ConditionalSelect(alive, Vector256.Create(resume), verdict);
                }
            }
            throw new InvalidOperationException("unreachable");
        }

        /// <summary>(float)(1 / √(area·Σx² − (Σx)²)), or 1 when that is not positive: the scalar code's doubles, 4 lanes.</summary>
        private Vector128<float> InvNorm(Vector128<int> s, Vector128<int> s2)
        {
            var sd = Vector256.ConvertToDouble(Vector256.WidenLower(Vector256.Create(s, s)));
            var s2d = Vector256.ConvertToDouble(Vector256.WidenLower(Vector256.Create(s2, s2)));
            var nf = Vector256.Create(_area) * s2d - sd * sd;
            var root = Vector256.ConditionalSelect(Vector256.GreaterThan(nf, Vector256<double>.Zero), Vector256.Sqrt(nf), Vector256<double>.One);
            var r = Vector256<double>.One / root;
            return Vector128.Create((float)r[0], (float)r[1], (float)r[2], (float)r[3]);
        }
    }

    private static double[] Numbers(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => double.Parse(s.TrimEnd('.'), CultureInfo.InvariantCulture)).ToArray();
}
