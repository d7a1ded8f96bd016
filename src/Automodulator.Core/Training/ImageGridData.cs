using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// A picture grid the trainer wants shown: images [rows·cols, 3, R, R] in [-1, 1] on the CPU, row-major, with labels.
/// Core cannot write PNGs (it does not reference the data/imaging project); an <see cref="ITrainingMonitor"/> does.
/// The trainer disposes <see cref="Images"/> after the callback returns.
/// </summary>
public sealed record ImageGridData(string Name, Tensor Images, int Rows, int Columns, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels);
