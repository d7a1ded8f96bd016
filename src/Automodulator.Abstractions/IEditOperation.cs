using static TorchSharp.torch;

namespace Automodulator.Abstractions;

/// <summary>
/// An operation on a trained automodulator that turns inputs (images and/or latents) into images plus metadata:
/// reconstruction, style mixing, attribute edits, conditional sampling and so on. Built-ins implement it too.
/// </summary>
public interface IEditOperation
{
    /// <summary>Stable name used on the command line (e.g. "mix").</summary>
    string Name { get; }

    /// <summary>One line for `--help` and `plugins list`.</summary>
    string Description { get; }

    EditResult Run(IAutomodulator model, EditRequest request);
}

/// <summary>Inputs of an edit. Images are [N, 3, R, R] in [-1, 1]; options are free-form key/value strings.</summary>
public sealed class EditRequest
{
    public Tensor? Images { get; init; }
    public Tensor? Latents { get; init; }
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public long Seed { get; init; }
}

/// <summary>
/// Output of an edit: a grid of images ([rows·cols, 3, R, R] in [-1, 1], row-major) with row and column labels, and
/// metadata recorded in the edit's JSON. The caller owns and disposes <see cref="Images"/>.
/// </summary>
public sealed class EditResult
{
    public required Tensor Images { get; init; }
    public required int Rows { get; init; }
    public required int Columns { get; init; }
    public IReadOnlyList<string> RowLabels { get; init; } = [];
    public IReadOnlyList<string> ColumnLabels { get; init; } = [];
    public IReadOnlyDictionary<string, object?> Metadata { get; init; } = new Dictionary<string, object?>();
}
