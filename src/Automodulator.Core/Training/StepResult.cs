using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// What one iteration produced: the value of every loss term (and the two totals and KL diagnostics) as one
/// detached tensor, read back only when logged, so a step needs no host sync. The caller disposes it.
/// </summary>
public sealed class StepResult(IReadOnlyList<string> names, Tensor values, long iteration, long samplesAfter, int phaseIndex,
    int resolution, double alpha, double learningRate) : IDisposable
{
    /// <summary>Names of <see cref="Values"/>' entries, e.g. "enc.kl_margin", "dec.z_cos", "enc.total".</summary>
    public IReadOnlyList<string> Names { get; } = names;

    /// <summary>[names.Count] float tensor of the values, on the training device.</summary>
    public Tensor Values { get; } = values;

    /// <summary>0-based number of this iteration.</summary>
    public long Iteration { get; } = iteration;

    /// <summary>Samples seen after this iteration.</summary>
    public long SamplesAfter { get; } = samplesAfter;

    public int PhaseIndex { get; } = phaseIndex;
    public int Resolution { get; } = resolution;
    public double Alpha { get; } = alpha;
    public double LearningRate { get; } = learningRate;

    /// <summary>Reads the values back (a host sync on a GPU).</summary>
    public IReadOnlyDictionary<string, double> Read()
    {
        using var cpu = Values.to(ScalarType.Float64).cpu();
        var v = cpu.data<double>().ToArray();
        return Names.Select((n, i) => (n, v[i])).ToDictionary(p => p.n, p => p.Item2);
    }

    public void Dispose() => Values.Dispose();
}
