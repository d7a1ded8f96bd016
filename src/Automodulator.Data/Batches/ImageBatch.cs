using static TorchSharp.torch;

namespace Automodulator.Data.Batches;

/// <summary>
/// One training batch, created on the prefetch thread outside any dispose scope: the consumer owns it and disposes
/// it (or moves its tensors into its own scope).
/// </summary>
/// <param name="Images">[B, 3, R, R] float32 in [−1, 1].</param>
/// <param name="FlipPairs">
/// [P, 3, R, R]: the left-right mirror of <c>Images[0..P)</c>, so (Images[i], FlipPairs[i]) are the (x, mirror(x))
/// pairs for the invariance loss L_inv; null when the batch has no flip pairs.
/// </param>
public sealed record ImageBatch(Tensor Images, Tensor? FlipPairs) : IDisposable
{
    /// <summary>Step number of the schedule this batch was made for (0-based).</summary>
    public long Step { get; init; }

    /// <summary>Fade-in weight it was blended with (1 = only the full resolution).</summary>
    public double Alpha { get; init; } = 1;

    /// <summary>Source indices of the images, in batch order.</summary>
    public IReadOnlyList<int> Indices { get; init; } = [];

    public int Resolution => (int)Images.shape[3];

    public void Dispose()
    {
        Images.Dispose();
        FlipPairs?.Dispose();
    }
}
