using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>
/// The paper's mixing grid (Fig. 4): column sources on the top row, row sources in the left column; cell (i, j)
/// decodes row source i with the layers of <c>range</c> driven by column source j. With the same inputs on both
/// axes the diagonal is the plain reconstruction. Options: range (coarse|intermediate|fine|layers:a-b|res:a-b),
/// columns (how many of the inputs are column sources; the rest are row sources; default: all inputs on both axes).
/// </summary>
public sealed class StyleMixEdit : IEditOperation
{
    public string Name => "mix";
    public string Description => "Style-mixing grid: row sources take the chosen layer range from column sources.";

    /// <summary>The assignment for one cell: <paramref name="row"/> everywhere except <paramref name="layers"/>.</summary>
    public static LayerLatents Cell(Tensor row, Tensor column, IReadOnlyList<int> layers, int layerCount) =>
        LayerLatents.Uniform(row, layerCount).With(layers, column);

    public EditResult Run(IAutomodulator model, EditRequest request)
    {
        using var scope = NewDisposeScope();
        var z = EditInputs.Latents(model, request, Name);
        int n = (int)z.shape[0];
        int colCount = EditInputs.Int(request, "columns", n);
        bool shared = colCount == n;
        if (!shared && (colCount < 1 || colCount >= n))
            throw new ArgumentException($"columns={colCount} must leave at least one row source among {n} inputs.");
        var range = EditInputs.Range(request, "range", LayerRange.Coarse);
        var layers = EditInputs.Layers(model, range);
        int total = model.LayerResolutions.Count;

        var colZ = z[..colCount];
        var rowZ = shared ? z : z[colCount..];
        int rowCount = (int)rowZ.shape[0];
        var colImages = SourceImages(model, request, colZ, 0);
        var rowImages = SourceImages(model, request, rowZ, shared ? 0 : colCount);

        // One decode for the whole grid: every cell's per-layer latents stacked along the batch.
        var perLayer = new Tensor[total];
        var rowsRepeated = rowZ.repeat_interleave(colCount, dim: 0);   // cell (i, j) → row i
        var colsTiled = colZ.repeat(rowCount, 1);                        // cell (i, j) → column j
        for (int l = 0; l < total; l++) perLayer[l] = layers.Contains(l) ? colsTiled : rowsRepeated;
        var cells = model.Decode(new LayerLatents(perLayer));

        // Grid: a corner cell, the column sources, then each row: its source, then its cells.
        var blank = ones(1, 3, model.Resolution, model.Resolution, device: model.Device);
        var tiles = new List<Tensor> { blank, colImages };
        for (int i = 0; i < rowCount; i++)
        {
            tiles.Add(rowImages[i..(i + 1)]);
            tiles.Add(cells[(i * colCount)..((i + 1) * colCount)]);
        }
        return new EditResult
        {
            Images = cat(tiles).MoveToOuterDisposeScope(),
            Rows = rowCount + 1,
            Columns = colCount + 1,
            RowLabels = ["", .. Enumerable.Range(0, rowCount).Select(i => $"row {i}")],
            ColumnLabels = [range.Name, .. Enumerable.Range(0, colCount).Select(j => $"col {j}")],
            Metadata = new Dictionary<string, object?>
            {
                ["edit"] = Name, ["range"] = range.Name, ["layers"] = layers.Select(l => l + 1).ToArray(),
                ["rows"] = rowCount, ["columns"] = colCount,
            },
        };
    }

    /// <summary>The input images when given (else their decodes), for the grid's borders.</summary>
    private static Tensor SourceImages(IAutomodulator model, EditRequest request, Tensor z, int offset) =>
        request.Images is not null
            ? request.Images[offset..(offset + (int)z.shape[0])].to(model.Device)
            : model.Decode(LayerLatents.Uniform(z, model.LayerResolutions.Count));
}
