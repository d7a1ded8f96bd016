using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Automodulator.Data.Faces;

/// <summary>
/// A Haar cascade compiled for evaluating 8 windows at once with AVX2, for cascades whose trees have at most two
/// nodes (OpenCV's frontal-face Haar cascades: alt2's trees have two, default's are stumps; others go scalar).
/// Each tree becomes one flat record (its nodes' rectangle ranges, thresholds and the leaf values each branch
/// reaches), so a tree costs its rectangle reads and a few compares and blends. Two ways to read the 8 windows:
/// <list type="bullet">
/// <item><see cref="EvaluateBlock"/>: 8 neighbouring windows whose integral-image reads are 8 consecutive ints
/// (step 1, or step 2 in an even/odd de-interleaved copy), stage after stage until few are alive;</item>
/// <item><see cref="RejectsAtStage"/>: any 8 windows, one stage, by gathered reads: the windows that outlive their
/// block are packed 8 to a vector and finished this way.</item>
/// </list>
/// Every lane does <see cref="HaarCascade.Layout.Evaluate"/>'s float arithmetic in the same order (no fused
/// multiply-add), so each window's verdict is bit-identical to the scalar cascade's.
/// </summary>
internal sealed class HaarSimdProgram
{
    /// <summary>
    /// One tree: node 0 goes left when its feature·inv &lt; Threshold0; a branch ends in a leaf, or (at most one
    /// branch) in node 1, whose branches both end in leaves. A stump has no node 1 (Rects1 = 0).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Tree(
        int Rect0, int Rects0, float Threshold0, float LeafLeft, float LeafRight,
        int Rect1, int Rects1, float Threshold1, bool SecondOnLeft, float Leaf1Left, float Leaf1Right);

    /// <summary>How offsets are mapped into the arrays a block reads (see <see cref="Offsets"/>).</summary>
    internal enum Mapping { Identity, EvenRows, OddRows }

    private readonly Tree[] _trees;
    private readonly HaarCascade.Rect[] _rects; // per rectangle, in tree order
    private readonly float[] _weights;
    private readonly HaarCascade.Stage[] _stages;
    private readonly int _windowWidth, _windowHeight;

    private HaarSimdProgram(HaarCascade c, Tree[] trees, List<HaarCascade.Rect> rects)
    {
        _trees = trees;
        _rects = rects.ToArray();
        _weights = rects.Select(r => r.Weight).ToArray();
        _stages = c.Stages;
        _windowWidth = c.WindowWidth;
        _windowHeight = c.WindowHeight;
    }

    internal int StageCount => _stages.Length;
    internal int WindowHeight => _windowHeight;

    /// <summary>The compiled cascade, or null when a tree has a shape this program does not handle.</summary>
    internal static HaarSimdProgram? TryCompile(HaarCascade c)
    {
        var trees = new Tree[c.TreeRoots.Length];
        var rects = new List<HaarCascade.Rect>();
        for (int t = 0; t < trees.Length; t++)
        {
            int root = c.TreeRoots[t];
            int count = (t + 1 < c.TreeRoots.Length ? c.TreeRoots[t + 1] : c.Nodes.Length) - root;
            float Leaf(int idx) => c.Leaves[c.TreeLeafBase[t] - idx];
            var n0 = c.Nodes[root];
            int rect0 = rects.Count;
            rects.AddRange(c.Features[n0.Feature]);
            if (count == 1 && n0.Left <= 0 && n0.Right <= 0)
            {
                trees[t] = new Tree(rect0, rects.Count - rect0, n0.Threshold, Leaf(n0.Left), Leaf(n0.Right), 0, 0, 0, false, 0, 0);
                continue;
            }
            if (count != 2) return null;
            var n1 = c.Nodes[root + 1];
            bool leftIsNode = n0.Left == 1 && n0.Right <= 0, rightIsNode = n0.Right == 1 && n0.Left <= 0;
            if (!(leftIsNode || rightIsNode) || n1.Left > 0 || n1.Right > 0) return null;
            int rect1 = rects.Count;
            rects.AddRange(c.Features[n1.Feature]);
            trees[t] = new Tree(rect0, rect1 - rect0, n0.Threshold, leftIsNode ? 0 : Leaf(n0.Left), rightIsNode ? 0 : Leaf(n0.Right),
                rect1, rects.Count - rect1, n1.Threshold, leftIsNode, Leaf(n1.Left), Leaf(n1.Right));
        }
        return new HaarSimdProgram(c, trees, rects);
    }

    /// <summary>
    /// Per rectangle its 4 corner offsets for integral images of this stride, then the 4 corners of the
    /// variance-normalisation rectangle (the window less a 1-pixel rim), mapped: step-2 blocks read de-interleaved
    /// copies (even flat indices in the first half, odd in the second), whose layout depends on the row's parity.
    /// </summary>
    internal int[] Offsets(int stride, Mapping mapping, int half = 0)
    {
        var o = new int[_rects.Length * 4 + 4];
        int k = 0;
        foreach (var q in _rects)
        {
            o[k++] = q.Y * stride + q.X;
            o[k++] = q.Y * stride + q.X + q.W;
            o[k++] = (q.Y + q.H) * stride + q.X;
            o[k++] = (q.Y + q.H) * stride + q.X + q.W;
        }
        int nw = _windowWidth - 2, nh = _windowHeight - 2;
        o[k++] = stride + 1;
        o[k++] = stride + 1 + nw;
        o[k++] = (nh + 1) * stride + 1;
        o[k] = (nh + 1) * stride + 1 + nw;
        if (mapping == Mapping.EvenRows)
            for (int i = 0; i < o.Length; i++) o[i] = (o[i] & 1) * half + (o[i] >> 1);
        else if (mapping == Mapping.OddRows)
            for (int i = 0; i < o.Length; i++) o[i] = ((o[i] + 1) & 1) * half + ((o[i] + 1) >> 1);
        return o;
    }

    private interface IWindows
    {
        /// <summary>The 8 windows' integral-image values at one corner offset.</summary>
        Vector256<int> At(int offset);
    }

    private readonly unsafe struct Consecutive(int* p) : IWindows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> At(int offset) => Avx.LoadVector256(p + offset);
    }

    private readonly unsafe struct Gathered(int* data, Vector256<int> p) : IWindows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> At(int offset) => Avx2.GatherVector256(data, p + Vector256.Create(offset), 4);
    }

    /// <summary>
    /// The 8 windows whose reads start at <paramref name="sum"/> and <paramref name="sq"/> (squares, wrapped to 32
    /// bits: a window's sum of squares fits, so differences are exact), offsets from <see cref="Offsets"/>.
    /// Returns per lane the stage that rejected it; lanes equal to <paramref name="resume"/> are still alive and
    /// continue at that stage (== the stage count: passed them all). Stops once at most <paramref name="handOff"/>
    /// lanes are alive. <paramref name="inv"/>: each window's 1/(σ·area), as the scalar code computes it.
    /// </summary>
    internal unsafe Vector256<int> EvaluateBlock(int* sum, int* sq, int[] offsets, int handOff, out Vector256<float> inv, out int resume)
    {
        int n = offsets.Length - 4;
        var s = Avx.LoadVector256(sum + offsets[n]) - Avx.LoadVector256(sum + offsets[n + 1]) - Avx.LoadVector256(sum + offsets[n + 2]) + Avx.LoadVector256(sum + offsets[n + 3]);
        var s2 = Avx.LoadVector256(sq + offsets[n]) - Avx.LoadVector256(sq + offsets[n + 1]) - Avx.LoadVector256(sq + offsets[n + 2]) + Avx.LoadVector256(sq + offsets[n + 3]);
        double area = (_windowWidth - 2) * (_windowHeight - 2);
        inv = Vector256.Create(InvNorm(s.GetLower(), s2.GetLower(), area), InvNorm(s.GetUpper(), s2.GetUpper(), area));
        var windows = new Consecutive(sum);
        var verdict = Vector256<int>.Zero;
        var alive = Vector256<int>.AllBitsSet;
        for (int si = 0; si < _stages.Length; si++)
        {
            var rejected = Vector256.LessThan(StageSum(windows, offsets, inv, si), Vector256.Create(_stages[si].Threshold)).AsInt32() & alive;
            verdict = Vector256.ConditionalSelect(rejected, Vector256.Create(si), verdict);
            alive &= ~rejected;
            if (BitOperations.PopCount(alive.ExtractMostSignificantBits()) <= handOff || si == _stages.Length - 1)
            {
                resume = si + 1;
                return Vector256.ConditionalSelect(alive, Vector256.Create(resume), verdict);
            }
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// Stage <paramref name="si"/> for 8 windows anywhere in the integral image <paramref name="sum"/> (lane i reads
    /// at <paramref name="p"/>[i] plus the identity-mapped <paramref name="offsets"/>). All-ones in the lanes it rejects.
    /// </summary>
    internal unsafe Vector256<int> RejectsAtStage(int* sum, int[] offsets, Vector256<int> p, Vector256<float> inv, int si) =>
        Vector256.LessThan(StageSum(new Gathered(sum, p), offsets, inv, si), Vector256.Create(_stages[si].Threshold)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<float> StageSum<TWindows>(TWindows windows, int[] offsets, Vector256<float> inv, int si) where TWindows : struct, IWindows
    {
        var stage = _stages[si];
        ref Tree tree = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_trees), stage.FirstTree);
        ref int o = ref MemoryMarshal.GetArrayDataReference(offsets);
        ref float w = ref MemoryMarshal.GetArrayDataReference(_weights);
        var total = Vector256<float>.Zero;
        for (int t = 0; t < stage.TreeCount; t++, tree = ref Unsafe.Add(ref tree, 1))
        {
            var left0 = Vector256.LessThan(Feature(windows, ref o, ref w, tree.Rect0, tree.Rects0) * inv, Vector256.Create(tree.Threshold0));
            Vector256<float> leaf;
            if (tree.Rects1 == 0)
            {
                leaf = Vector256.ConditionalSelect(left0, Vector256.Create(tree.LeafLeft), Vector256.Create(tree.LeafRight));
            }
            else
            {
                var left1 = Vector256.LessThan(Feature(windows, ref o, ref w, tree.Rect1, tree.Rects1) * inv, Vector256.Create(tree.Threshold1));
                var second = Vector256.ConditionalSelect(left1, Vector256.Create(tree.Leaf1Left), Vector256.Create(tree.Leaf1Right));
                leaf = tree.SecondOnLeft
                    ? Vector256.ConditionalSelect(left0, second, Vector256.Create(tree.LeafRight))
                    : Vector256.ConditionalSelect(left0, Vector256.Create(tree.LeafLeft), second);
            }
            total += leaf;
        }
        return total;
    }

    /// <summary>Σ weight · (rectangle sum), in rectangle order from 0, as float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Feature<TWindows>(TWindows windows, ref int offsets, ref float weights, int first, int count) where TWindows : struct, IWindows
    {
        var val = Vector256<float>.Zero;
        for (int r = first, end = first + count; r < end; r++)
        {
            ref int c = ref Unsafe.Add(ref offsets, r * 4);
            var rs = windows.At(c) - windows.At(Unsafe.Add(ref c, 1)) - windows.At(Unsafe.Add(ref c, 2)) + windows.At(Unsafe.Add(ref c, 3));
            val += Vector256.Create(Unsafe.Add(ref weights, r)) * Vector256.ConvertToSingle(rs);
        }
        return val;
    }

    /// <summary>(float)(1 / √(area·Σx² − (Σx)²)), or 1 when that is not positive: the scalar code's doubles, 4 lanes.</summary>
    private static Vector128<float> InvNorm(Vector128<int> s, Vector128<int> s2, double area)
    {
        var sd = Vector256.ConvertToDouble(Vector256.WidenLower(Vector256.Create(s, s)));
        var s2d = Vector256.ConvertToDouble(Vector256.WidenLower(Vector256.Create(s2, s2)));
        var nf = Vector256.Create(area) * s2d - sd * sd;
        var root = Vector256.ConditionalSelect(Vector256.GreaterThan(nf, Vector256<double>.Zero), Vector256.Sqrt(nf), Vector256<double>.One);
        return Avx.ConvertToVector128Single(Vector256<double>.One / root);
    }
}
