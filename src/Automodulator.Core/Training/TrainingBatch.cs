using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// A ready batch from the producer: images [B, 3, R, R] in [-1, 1] on the CPU (already blended across resolutions
/// with the phase's α during a fade-in), and where in the schedule it belongs. Detached from any dispose scope; the
/// consumer owns <see cref="Images"/> and disposes it. With flip pairs the second half mirrors the first.
/// </summary>
public sealed class TrainingBatch(Tensor images, long startSample, int phaseIndex, int resolution, double alpha, bool flipPairs) : IDisposable
{
    public Tensor Images { get; } = images;

    /// <summary>Samples the schedule had seen before this batch (the batch's position in the run).</summary>
    public long StartSample { get; } = startSample;

    public int PhaseIndex { get; } = phaseIndex;
    public int Resolution { get; } = resolution;
    public double Alpha { get; } = alpha;
    public bool FlipPairs { get; } = flipPairs;
    public int Size => (int)Images.shape[0];

    public void Dispose() => Images.Dispose();
}
