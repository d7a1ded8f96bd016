using System.Globalization;
using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;
using static TorchSharp.torch;

namespace FineColourTransfer;

/// <summary>
/// Colour transfer through the fine layers only (paper Sec. 4: the finest scales carry colour and texture): each
/// content input keeps its own latent on every layer below <c>from</c> and takes a colour source's latent from
/// there up. Inputs: the content images first, then <c>sources</c> colour images (default: the last half).
/// Options: sources (count), from (resolution where colour starts, default 64; use a lower one on small models).
/// </summary>
public sealed class FineColourTransferEdit : IEditOperation
{
    public string Name => "colour-transfer";
    public string Description => "Take colours from source images through the fine layers only.";

    public EditResult Run(IAutomodulator model, EditRequest request)
    {
        var images = request.Images ?? throw new ArgumentException("colour-transfer needs input images (contents, then colour sources).");
        int n = (int)images.shape[0];
        int sources = request.Options.TryGetValue("sources", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : n / 2;
        int from = request.Options.TryGetValue("from", out var f) ? int.Parse(f, CultureInfo.InvariantCulture) : 64;
        if (sources < 1 || sources >= n) throw new ArgumentException($"sources={sources} must leave at least one content image among {n}.");
        var fine = LayerRange.Resolutions(from, int.MaxValue).Resolve(model.LayerResolutions);
        if (fine.Count == 0)
            throw new ArgumentException($"This model has no layers at {from}×{from} or above; pass from=RES with a resolution it has ({string.Join(",", model.LayerResolutions.Distinct())}).");

        using var scope = NewDisposeScope();
        var z = model.Encode(images.to(model.Device));
        int contents = n - sources, total = model.LayerResolutions.Count;
        var tiles = new List<Tensor> { ones(1, 3, model.Resolution, model.Resolution, device: model.Device), images[contents..].to(model.Device) };
        for (int i = 0; i < contents; i++)
        {
            tiles.Add(images[i..(i + 1)].to(model.Device));
            for (int j = 0; j < sources; j++)
                tiles.Add(model.Decode(LayerLatents.Uniform(z[i..(i + 1)], total).With(fine, z[(contents + j)..(contents + j + 1)])));
        }
        return new EditResult
        {
            Images = cat(tiles).MoveToOuterDisposeScope(),
            Rows = contents + 1,
            Columns = sources + 1,
            RowLabels = ["", .. Enumerable.Range(0, contents).Select(i => $"content {i}")],
            ColumnLabels = [$"≥{from}", .. Enumerable.Range(0, sources).Select(j => $"colour {j}")],
            Metadata = new Dictionary<string, object?> { ["edit"] = Name, ["from"] = from, ["layers"] = fine.Select(l => l + 1).ToArray() },
        };
    }
}

/// <summary>Registers the "colour-transfer" edit.</summary>
public sealed class FineColourTransferPlugin : IAutomodulatorPlugin
{
    public string Name => "FineColourTransfer";
    public string Version => "1.0.0";
    public int ContractMajor => ContractVersion.Major;
    public void Register(IComponentRegistry registry) => registry.AddEdit(new FineColourTransferEdit());
}
