namespace Automodulator.Data.Faces;

/// <summary>
/// The contents of a dlib shape predictor file (Kazemi &amp; Sullivan's ensemble of regression trees, as dlib's
/// <c>shape_predictor</c> stores it), in flat arrays for fast evaluation. Shapes are in the face box's normalised
/// coordinates ((0,0) = the box's top-left, (1,1) = its bottom-right), x and y interleaved.
/// Every level holds the same number of trees of the same depth, and the same number of feature pixels.
/// </summary>
public sealed class ShapePredictorModel
{
    internal ShapePredictorModel(float[] initialShape, int levels, int treesPerLevel, int splitsPerTree,
        int[] splitIndex1, int[] splitIndex2, float[] splitThreshold, float[] leafValues,
        int featuresPerLevel, int[] anchorIndex, float[] deltaX, float[] deltaY)
    {
        InitialShape = initialShape;
        Levels = levels;
        TreesPerLevel = treesPerLevel;
        SplitsPerTree = splitsPerTree;
        SplitIndex1 = splitIndex1;
        SplitIndex2 = splitIndex2;
        SplitThreshold = splitThreshold;
        LeafValues = leafValues;
        FeaturesPerLevel = featuresPerLevel;
        AnchorIndex = anchorIndex;
        DeltaX = deltaX;
        DeltaY = deltaY;
    }

    /// <summary>Number of landmarks (68 for <c>shape_predictor_68_face_landmarks.dat</c>).</summary>
    public int Parts => InitialShape.Length / 2;

    /// <summary>The mean shape every prediction starts from (normalised box coordinates, x/y interleaved).</summary>
    public float[] InitialShape { get; }

    /// <summary>Cascade levels; each re-samples its feature pixels relative to the current shape estimate.</summary>
    public int Levels { get; }

    public int TreesPerLevel { get; }

    /// <summary>Split nodes per tree (2^depth − 1); a tree has SplitsPerTree + 1 leaves.</summary>
    public int SplitsPerTree { get; }

    public int LeavesPerTree => SplitsPerTree + 1;

    /// <summary>Depth of each (complete binary) tree.</summary>
    public int TreeDepth => System.Numerics.BitOperations.Log2((uint)LeavesPerTree);

    /// <summary>Values per leaf: one shape increment (2 × <see cref="Parts"/>).</summary>
    public int LeafLength => InitialShape.Length;

    /// <summary>Feature pixels sampled per level.</summary>
    public int FeaturesPerLevel { get; }

    /// <summary>[level, tree, split]: the two feature pixels a split compares.</summary>
    internal int[] SplitIndex1 { get; }
    internal int[] SplitIndex2 { get; }

    /// <summary>[level, tree, split]: go left when pixel1 − pixel2 &gt; threshold.</summary>
    internal float[] SplitThreshold { get; }

    /// <summary>[level, tree, leaf, value].</summary>
    internal float[] LeafValues { get; }

    /// <summary>[level, feature]: the landmark each feature pixel hangs off, and its offset in mean-shape space.</summary>
    internal int[] AnchorIndex { get; }
    internal float[] DeltaX { get; }
    internal float[] DeltaY { get; }

    public override string ToString() =>
        $"{Parts} landmarks, {Levels} cascade levels × {TreesPerLevel} trees of depth {TreeDepth} " +
        $"({SplitsPerTree} splits, {LeavesPerTree} leaves of {LeafLength} values), {FeaturesPerLevel} feature pixels per level";
}
