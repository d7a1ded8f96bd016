namespace Automodulator.Abstractions;

/// <summary>
/// A set of decoder conv layers, named by scale or given explicitly. Layers are numbered 1..N in decode order
/// (4×4 = layers 1-2, 8×8 = 3-4, …; an extra layer shifts the numbering after it). Resolved against the decoder's
/// per-layer resolutions, so the same range means the same scales on any decoder.
/// </summary>
public sealed record LayerRange
{
    private LayerRange(string name, int? fromLayer, int? toLayer, int? fromResolution, int? toResolution)
    {
        Name = name;
        FromLayer = fromLayer;
        ToLayer = toLayer;
        FromResolution = fromResolution;
        ToResolution = toResolution;
    }

    public string Name { get; }
    public int? FromLayer { get; }
    public int? ToLayer { get; }
    public int? FromResolution { get; }
    public int? ToResolution { get; }

    /// <summary>4×4 to 8×8 (paper Sec. 4: pose, face shape, background layout).</summary>
    public static LayerRange Coarse { get; } = new("coarse", null, null, 4, 8);

    /// <summary>16×16 to 32×32 (eyes, mouth, hair style).</summary>
    public static LayerRange Intermediate { get; } = new("intermediate", null, null, 16, 32);

    /// <summary>64×64 and up (colours, skin and hair texture).</summary>
    public static LayerRange Fine { get; } = new("fine", null, null, 64, int.MaxValue);

    /// <summary>Every layer.</summary>
    public static LayerRange All { get; } = new("all", 1, int.MaxValue, null, null);

    /// <summary>Layers <paramref name="from"/>..<paramref name="to"/> (1-based, inclusive).</summary>
    public static LayerRange Layers(int from, int to)
    {
        if (from < 1 || to < from)
            throw new ArgumentOutOfRangeException(nameof(from), $"Layer range {from}-{to} is empty or not 1-based.");
        return new LayerRange($"layers {from}-{to}", from, to, null, null);
    }

    /// <summary>Every layer whose output resolution is in [from, to].</summary>
    public static LayerRange Resolutions(int from, int to)
    {
        if (from < 4 || to < from)
            throw new ArgumentOutOfRangeException(nameof(from), $"Resolution range {from}-{to} is empty or below 4.");
        return new LayerRange($"{from}x{from}-{to}x{to}", null, null, from, to);
    }

    /// <summary>
    /// Parses "coarse", "intermediate", "fine", "all", "layers:3-6" (or "3-6") and "res:16-32".
    /// </summary>
    public static LayerRange Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        switch (t)
        {
            case "coarse": return Coarse;
            case "intermediate" or "middle": return Intermediate;
            case "fine": return Fine;
            case "all": return All;
        }
        bool isRes = t.StartsWith("res:", StringComparison.Ordinal);
        var body = isRes ? t[4..] : t.StartsWith("layers:", StringComparison.Ordinal) ? t[7..] : t;
        var parts = body.Split('-', 2);
        if (parts.Length == 2 && int.TryParse(parts[0], out var a) && int.TryParse(parts[1], out var b))
            return isRes ? Resolutions(a, b) : Layers(a, b);
        if (parts.Length == 1 && int.TryParse(parts[0], out var single))
            return isRes ? Resolutions(single, single) : Layers(single, single);
        throw new FormatException(
            $"'{text}' is not a layer range. Use coarse, intermediate, fine, all, layers:FROM-TO (1-based) or res:FROM-TO.");
    }

    /// <summary>True when 1-based layer <paramref name="layer"/> at <paramref name="resolution"/> is in the range.</summary>
    public bool Contains(int layer, int resolution) =>
        (FromLayer is null || layer >= FromLayer) && (ToLayer is null || layer <= ToLayer) &&
        (FromResolution is null || resolution >= FromResolution) && (ToResolution is null || resolution <= ToResolution);

    /// <summary>The 0-based indices of the layers in range, given each layer's output resolution.</summary>
    public IReadOnlyList<int> Resolve(IReadOnlyList<int> layerResolutions)
    {
        var result = new List<int>();
        for (int i = 0; i < layerResolutions.Count; i++)
            if (Contains(i + 1, layerResolutions[i])) result.Add(i);
        return result;
    }

    public override string ToString() => Name;
}
