using static TorchSharp.torch;

namespace Automodulator.Abstractions;

/// <summary>
/// One term of a training objective. The trainer sums, per step, <see cref="Weight"/> × <see cref="Compute"/> of every
/// term registered for that step. Built-in terms (KL margin, reconstruction, d_cos, L_j, L_inv) implement it too.
/// </summary>
public interface ILossTerm
{
    /// <summary>Stable name, used in logs and options (e.g. "kl_margin", "recon").</summary>
    string Name { get; }

    /// <summary>Which step's objective this term belongs to.</summary>
    TrainingStep Step { get; }

    /// <summary>Multiplier applied by the trainer.</summary>
    double Weight { get; }

    /// <summary>The tensors of the step that this term reads; the trainer computes only what some term needs.</summary>
    LossInputs Reads { get; }

    /// <summary>A scalar loss (unweighted). Must not dispose the context's tensors.</summary>
    Tensor Compute(LossContext context);
}

/// <summary>The tensors a loss term may read from a training step.</summary>
[Flags]
public enum LossInputs
{
    None = 0,
    Real = 1,
    RealLatents = 2,
    Reconstruction = 4,
    SampleLatents = 8,
    Samples = 16,
    SampleReencoded = 32,
}

/// <summary>
/// What a training step has computed so far. Unset members are null; a term declares what it reads in
/// <see cref="ILossTerm.Reads"/>. Images are [B, 3, R, R] in [-1, 1]; latents are [B, zdim] on the unit sphere.
/// </summary>
public sealed class LossContext
{
    /// <summary>Real images x.</summary>
    public Tensor? Real { get; init; }

    /// <summary>φ(x).</summary>
    public Tensor? RealLatents { get; init; }

    /// <summary>θ(φ(x)).</summary>
    public Tensor? Reconstruction { get; init; }

    /// <summary>The random latents z behind the samples.</summary>
    public Tensor? SampleLatents { get; init; }

    /// <summary>x̂ = θ(z).</summary>
    public Tensor? Samples { get; init; }

    /// <summary>φ(x̂).</summary>
    public Tensor? SampleReencoded { get; init; }

    /// <summary>Current output resolution.</summary>
    public int Resolution { get; init; }

    /// <summary>Fade-in α of the current phase.</summary>
    public double Alpha { get; init; } = 1.0;
}
