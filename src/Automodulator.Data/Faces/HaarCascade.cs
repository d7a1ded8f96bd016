using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        _simd = new Lazy<HaarSimdProgram?>(() => HaarSimdProgram.TryCompile(this));
    }

    private readonly Lazy<HaarSimdProgram?> _simd;

    /// <summary>The cascade compiled for 8-window AVX2 evaluation, or null when its trees are not of a supported shape.</summary>
    internal HaarSimdProgram? Simd => _simd.Value;

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
    }

    private static double[] Numbers(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => double.Parse(s.TrimEnd('.'), CultureInfo.InvariantCulture)).ToArray();
}
