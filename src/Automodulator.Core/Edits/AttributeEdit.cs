using System.Globalization;
using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>
/// Scale-specific attribute edit (paper App. C): z' = normalise(z + s·d) on the layers of <c>range</c> only, the
/// input's own z elsewhere. Rows: inputs; columns: strengths. Options: direction (file), range (default all),
/// strengths (comma-separated, default -2,-1,0,1,2). Strength 0 is exactly the reconstruction.
/// </summary>
public sealed class AttributeEdit : IEditOperation
{
    public string Name => "attribute";
    public string Description => "Move inputs along an attribute direction on chosen layers only.";

    /// <summary>Set by library callers; otherwise the <c>direction</c> option names a file.</summary>
    public AttributeDirection? Direction { get; init; }

    public static LayerLatents Assignment(Tensor z, Tensor direction, double strength, IReadOnlyList<int> layers, int layerCount)
    {
        if (strength == 0) return LayerLatents.Uniform(z, layerCount);
        var moved = nn.functional.normalize(z + direction * strength, dim: 1);
        return LayerLatents.Uniform(z, layerCount).With(layers, moved);
    }

    public EditResult Run(IAutomodulator model, EditRequest request)
    {
        var direction = Direction ?? (request.Options.TryGetValue("direction", out var file)
            ? AttributeDirection.Load(file)
            : throw new ArgumentException("The attribute edit needs a direction (option direction=FILE; make one with `automod edit direction`)."));
        if (direction.Vector.Length != model.LatentDim)
            throw new ArgumentException($"Direction '{direction.Name}' has {direction.Vector.Length} dimensions; the model's latent has {model.LatentDim}.");
        var strengths = request.Options.TryGetValue("strengths", out var s)
            ? s.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()
            : [-2.0, -1.0, 0.0, 1.0, 2.0];
        var range = EditInputs.Range(request, "range", LayerRange.All);
        var layers = EditInputs.Layers(model, range);

        using var scope = NewDisposeScope();
        var z = EditInputs.Latents(model, request, Name);
        var d = direction.ToTensor(model.Device).unsqueeze(0);
        int n = (int)z.shape[0], total = model.LayerResolutions.Count;
        var tiles = new List<Tensor>();
        for (int i = 0; i < n; i++)
        {
            var zi = z[i..(i + 1)];
            foreach (var strength in strengths)
                tiles.Add(model.Decode(Assignment(zi, d, strength, layers, total)));
        }
        return new EditResult
        {
            Images = cat(tiles).MoveToOuterDisposeScope(),
            Rows = n,
            Columns = strengths.Length,
            RowLabels = Enumerable.Range(0, n).Select(i => $"input {i}").ToArray(),
            ColumnLabels = strengths.Select(v => $"{direction.Name} {v:+0.##;-0.##;0}").ToArray(),
            Metadata = new Dictionary<string, object?>
            {
                ["edit"] = Name, ["direction"] = direction.Name, ["range"] = range.Name,
                ["layers"] = layers.Select(l => l + 1).ToArray(), ["strengths"] = strengths,
                ["exemplars"] = new[] { direction.Positives, direction.Negatives },
            },
        };
    }
}
