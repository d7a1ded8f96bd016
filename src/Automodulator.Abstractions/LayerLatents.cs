using static TorchSharp.torch;

namespace Automodulator.Abstractions;

/// <summary>
/// Which latent drives each decoder conv layer: the per-layer assignment that makes reconstruction, style mixing,
/// conditional sampling and the L_j / L_inv losses one operation (paper Sec. 3.2). Entry i is a [batch, zdim]
/// latent for layer i + 1. Entries may share the same tensor. The tensors are borrowed, not owned.
/// </summary>
public sealed class LayerLatents
{
    private readonly Tensor[] _perLayer;

    public LayerLatents(IReadOnlyList<Tensor> perLayer)
    {
        if (perLayer.Count == 0) throw new ArgumentException("A latent assignment needs at least one layer.", nameof(perLayer));
        _perLayer = perLayer.ToArray();
    }

    /// <summary>Number of decoder layers this assignment covers.</summary>
    public int Count => _perLayer.Length;

    public Tensor this[int index] => _perLayer[index];

    /// <summary>Latents for layers [start, start + count), 0-based.</summary>
    public IReadOnlyList<Tensor> Slice(int start, int count) => new ArraySegment<Tensor>(_perLayer, start, count);

    /// <summary>The same z for every layer: a plain decode.</summary>
    public static LayerLatents Uniform(Tensor z, int layerCount) =>
        new(Enumerable.Repeat(z, layerCount).ToArray());

    /// <summary>A copy in which the given 0-based layers read <paramref name="z"/>.</summary>
    public LayerLatents With(IEnumerable<int> layers, Tensor z)
    {
        var copy = (Tensor[])_perLayer.Clone();
        foreach (var i in layers)
        {
            if (i < 0 || i >= copy.Length)
                throw new ArgumentOutOfRangeException(nameof(layers), $"Layer index {i} is outside 0..{copy.Length - 1}.");
            copy[i] = z;
        }
        return new LayerLatents(copy);
    }

    /// <summary>A copy in which the layers of <paramref name="range"/> read <paramref name="z"/>.</summary>
    public LayerLatents With(LayerRange range, IReadOnlyList<int> layerResolutions, Tensor z) =>
        With(range.Resolve(layerResolutions), z);

    /// <summary>z_A drives layers 1..j, z_B the rest (the paper's mixed sample with split point j, 1-based).</summary>
    public static LayerLatents Split(Tensor zA, Tensor zB, int j, int layerCount)
    {
        if (j < 0 || j > layerCount) throw new ArgumentOutOfRangeException(nameof(j), $"Split point {j} is outside 0..{layerCount}.");
        var arr = new Tensor[layerCount];
        for (int i = 0; i < layerCount; i++) arr[i] = i < j ? zA : zB;
        return new LayerLatents(arr);
    }
}
