using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>
/// Interpolation on the latent sphere: two inputs give a sequence (spherical interpolation), four inputs a square
/// grid (corners = inputs, bilinear then renormalised). Only the layers of <c>range</c> interpolate; the others keep
/// the first input's latent. Options: steps (default 8), range (default all).
/// </summary>
public sealed class InterpolateEdit : IEditOperation
{
    public string Name => "interpolate";
    public string Description => "Interpolate between 2 inputs (sequence) or 4 inputs (grid), optionally on some layers only.";

    /// <summary>Spherical interpolation between unit latents a and b ([1, d] each) at t ∈ [0, 1].</summary>
    public static Tensor Slerp(Tensor a, Tensor b, double t)
    {
        using var scope = NewDisposeScope();
        var cos = (a * b).sum(1, keepdim: true).clamp(-1 + 1e-7, 1 - 1e-7);
        var omega = cos.acos();
        var so = omega.sin();
        var r = (a * ((1 - t) * omega).sin() + b * (t * omega).sin()) / so;
        return r.MoveToOuterDisposeScope();
    }

    public EditResult Run(IAutomodulator model, EditRequest request)
    {
        int steps = EditInputs.Int(request, "steps", 8);
        if (steps < 2) throw new ArgumentException("steps must be at least 2.");
        var range = EditInputs.Range(request, "range", LayerRange.All);
        var layers = EditInputs.Layers(model, range);
        using var scope = NewDisposeScope();
        var z = EditInputs.Latents(model, request, Name, minimum: 2);
        int n = (int)z.shape[0], total = model.LayerResolutions.Count;
        if (n != 2 && n != 4) throw new ArgumentException($"Interpolation takes 2 inputs (sequence) or 4 (grid); got {n}.");
        var baseZ = z[0..1];
        var tiles = new List<Tensor>();
        int rows = n == 2 ? 1 : steps;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < steps; c++)
            {
                double u = c / (double)(steps - 1), v = rows == 1 ? 0 : r / (double)(steps - 1);
                Tensor point = n == 2
                    ? Slerp(z[0..1], z[1..2], u)
                    : nn.functional.normalize(z[0..1] * ((1 - u) * (1 - v)) + z[1..2] * (u * (1 - v)) + z[2..3] * ((1 - u) * v) + z[3..4] * (u * v), dim: 1);
                tiles.Add(model.Decode(LayerLatents.Uniform(baseZ, total).With(layers, point)));
            }
        return new EditResult
        {
            Images = cat(tiles).MoveToOuterDisposeScope(),
            Rows = rows,
            Columns = steps,
            ColumnLabels = Enumerable.Range(0, steps).Select(c => $"{c / (double)(steps - 1):0.##}").ToArray(),
            Metadata = new Dictionary<string, object?>
            {
                ["edit"] = Name, ["inputs"] = n, ["steps"] = steps, ["range"] = range.Name, ["layers"] = layers.Select(l => l + 1).ToArray(),
            },
        };
    }
}
