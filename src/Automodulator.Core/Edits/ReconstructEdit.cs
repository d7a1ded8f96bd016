using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>θ(φ(x)): inputs on the top row, reconstructions below.</summary>
public sealed class ReconstructEdit : IEditOperation
{
    public string Name => "reconstruct";
    public string Description => "Encode each input and decode it again (top row: inputs, bottom row: reconstructions).";

    public EditResult Run(IAutomodulator model, EditRequest request)
    {
        using var scope = NewDisposeScope();
        var z = EditInputs.Latents(model, request, Name);
        int n = (int)z.shape[0];
        var recon = model.Decode(LayerLatents.Uniform(z, model.LayerResolutions.Count));
        var rows = request.Images is not null ? cat([request.Images.to(model.Device), recon]) : recon;
        int rowCount = request.Images is not null ? 2 : 1;
        return new EditResult
        {
            Images = rows.MoveToOuterDisposeScope(),
            Rows = rowCount,
            Columns = n,
            RowLabels = rowCount == 2 ? ["input", "reconstruction"] : ["reconstruction"],
            Metadata = new Dictionary<string, object?> { ["edit"] = Name, ["inputs"] = n },
        };
    }
}
