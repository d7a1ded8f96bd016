using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>
/// Conditional sampling of a real image (paper App. H): the input's latent keeps driving the layers of <c>keep</c>;
/// random unit latents drive the rest. Rows: inputs; first column the input, then samples.
/// Options: keep (default coarse), samples (default 6).
/// </summary>
public sealed class ConditionalSampleEdit : IEditOperation
{
    public string Name => "conditional";
    public string Description => "Keep the input's latent on chosen layers, sample the rest at random.";

    public static LayerLatents Assignment(Tensor input, Tensor random, IReadOnlyList<int> keep, int layerCount) =>
        LayerLatents.Uniform(random, layerCount).With(keep, input);

    public EditResult Run(IAutomodulator model, EditRequest request)
    {
        var keepRange = EditInputs.Range(request, "keep", LayerRange.Coarse);
        var keep = EditInputs.Layers(model, keepRange);
        int samples = EditInputs.Int(request, "samples", 6);
        if (samples < 1) throw new ArgumentException("samples must be at least 1.");

        using var scope = NewDisposeScope();
        var z = EditInputs.Latents(model, request, Name);
        int n = (int)z.shape[0], total = model.LayerResolutions.Count;
        var random = EditInputs.RandomLatents(model, n * samples, request.Seed);
        var tiles = new List<Tensor>();
        for (int i = 0; i < n; i++)
        {
            var zi = z[i..(i + 1)].expand(samples, -1);
            tiles.Add(request.Images is not null ? request.Images[i..(i + 1)].to(model.Device) : model.Decode(LayerLatents.Uniform(z[i..(i + 1)], total)));
            tiles.Add(model.Decode(Assignment(zi, random[(i * samples)..((i + 1) * samples)], keep, total)));
        }
        return new EditResult
        {
            Images = cat(tiles).MoveToOuterDisposeScope(),
            Rows = n,
            Columns = samples + 1,
            RowLabels = Enumerable.Range(0, n).Select(i => $"input {i}").ToArray(),
            ColumnLabels = ["input", .. Enumerable.Range(1, samples).Select(k => $"sample {k}")],
            Metadata = new Dictionary<string, object?>
            {
                ["edit"] = Name, ["keep"] = keepRange.Name, ["layers_kept"] = keep.Select(l => l + 1).ToArray(),
                ["samples"] = samples, ["seed"] = request.Seed,
            },
        };
    }
}
