namespace Automodulator.Core.Training;

/// <summary>
/// The loss weights and sampling choices of the automodulator objective (paper Sec. 3, Eqs. 4–6, 9–11). The defaults
/// are the paper's; <see cref="Reference"/> gives the values the authors' public code uses (docs/training.md lists
/// every difference).
/// </summary>
public sealed record ObjectiveOptions
{
    /// <summary>Which option set these values started from: "paper" or "reference" (informational).</summary>
    public string OptionSet { get; init; } = "paper";

    /// <summary>d_X, the image distance of the reconstruction and L_inv terms: "robust" (Barron's adaptive NLL) or "l1".</summary>
    public string ReconstructionDistance { get; init; } = "robust";

    /// <summary>λ_X, the weight of d_X(x, θ(φ(x))) in the encoder step (paper: 0.2).</summary>
    public double ReconstructionWeight { get; init; } = 0.2;

    /// <summary>
    /// Multiplier of λ_X once a phase's fade-in is over (the reference's <c>matching_phase_x</c> = 1.5; paper: 1).
    /// </summary>
    public double ReconstructionWeightAfterFade { get; init; } = 1.0;

    /// <summary>
    /// Also train the decoder on the encoder step's reconstruction term λ_X·d_X(x, θ(φ(x))) (off in the paper and the
    /// reference, where θ learns only from the latent terms). The gradient is the one the encoder step already
    /// back-propagates through θ, so it costs only the decoder's weight gradients; it is applied with the decoder
    /// step's update. A short CPU run needs it: the latent game alone takes far more than a few thousand iterations
    /// before θ(φ(x)) looks like x (docs/training.md, "A CPU demo").
    /// </summary>
    public bool DecoderLearnsReconstruction { get; init; }

    /// <summary>Weight of the margin-clipped KL(φ(x)) − KL(φ(x̂)) in the encoder step (paper: 1; reference: 0.1).</summary>
    public double KlMarginWeight { get; init; } = 1.0;

    /// <summary>
    /// When set, the KL difference is also clipped from above at this share of the margin (reference: 0.5, i.e.
    /// min(M/2, ·)); null keeps the paper's one-sided max(−M, ·).
    /// </summary>
    public double? KlMarginUpperClipShare { get; init; }

    /// <summary>Weight of KL(φ(θ(z))) in the decoder step (paper: 1; reference: 0.1).</summary>
    public double SampleKlWeight { get; init; } = 1.0;

    /// <summary>λ_Z, the weight of d_cos(z, φ(θ(z))) in the decoder step (paper: 1000 with AGE's per-dimension d_cos; reference: 100).</summary>
    public double LatentWeight { get; init; } = 1000;

    /// <summary>Weight of L_j, the mixed-canvas consistency in the decoder step (paper and reference: 1).</summary>
    public double MixedCanvasWeight { get; init; } = 1.0;

    /// <summary>Share of the encoder step's generated samples x̂ that are mixed at a random layer j (paper: 1/4, from 3:1).</summary>
    public double EncoderMixShare { get; init; } = 0.25;

    /// <summary>Share of the decoder step's samples that are mixed (paper: 1/4, "3 regular : 1 mixed"; reference: 1/2).</summary>
    public double DecoderMixShare { get; init; } = 0.25;

    /// <summary>Per-pixel layer noise in the decoder while training (off for evaluation, and forced off while L_inv is on).</summary>
    public bool LayerNoise { get; init; } = true;

    /// <summary>
    /// Train the flip invariance L_inv (paper Sec. 3.3) on flip pairs. Adds the extra 8×8 decoder layer
    /// (<see cref="Model.ModelConfig.ExtraLayerResolution"/> = 8), turns layer noise off, and replaces the plain
    /// reconstruction term by L_inv, whose two halves reconstruct each image of a pair.
    /// </summary>
    public bool Invariance { get; init; }

    /// <summary>Layers 1..k keep each image's own latent in L_inv, the later ones take its mirror's (paper: k = 2, the 4×4 block).</summary>
    public int InvarianceSplitLayer { get; init; } = 2;

    /// <summary>
    /// Draw one set of samples x̂ = θ(z) per iteration and use it in both steps: detached as the encoder step's
    /// generated images, and with its graph for the decoder step (which then runs on the encoder just updated, as
    /// before). Saves one decoder pass per iteration; each step's objective is unchanged, only the two steps' samples
    /// are no longer independent draws. The encoder step's fakes then have <see cref="DecoderMixShare"/> mixed rows.
    /// Off: the encoder step decodes its own x̂ without gradient, as the paper and the reference code do.
    /// </summary>
    public bool ShareSamples { get; init; } = true;

    /// <summary>The paper's values (the defaults).</summary>
    public static ObjectiveOptions Paper() => new();

    /// <summary>
    /// The public reference code's values (AaltoVision/automodulator, pioneer/config.py and train.py): KL weights 0.1,
    /// λ_Z = 100, the KL difference also clipped at M/2, 50 % mixed samples in the decoder step, λ_X × 1.5 after the fade,
    /// separate sample draws for the two steps.
    /// </summary>
    public static ObjectiveOptions Reference() => new()
    {
        OptionSet = "reference",
        KlMarginWeight = 0.1,
        SampleKlWeight = 0.1,
        LatentWeight = 100,
        KlMarginUpperClipShare = 0.5,
        EncoderMixShare = 0.25,
        DecoderMixShare = 0.5,
        ReconstructionWeightAfterFade = 1.5,
        // Separate draws, so the encoder step's fakes keep their own 25 % mixed share.
        ShareSamples = false,
    };

    /// <summary>
    /// A short CPU run (the demo, a few thousand iterations): the reference code's weights (KL 0.1, λ_Z = 100, the
    /// KL difference clipped to [−M, M/2]) with d_X = L1 at the reference's L1 weight λ_X = 1. The robust loss starts
    /// with scale c = 1, where its gradient on residuals of ~0.1 is about a tenth of L1's, and its scale learns at the
    /// optimiser's learning rate: over a few thousand steps the encoder's reconstruction signal stays too weak to
    /// matter against the KL terms, and the latents collapse. With the paper's unit KL weights and margin 2 the KL game
    /// alone dominates such a short run (measured: docs/training.md, "A CPU demo"). Shares samples as the paper set does.
    /// </summary>
    public static ObjectiveOptions CpuDemo() => Reference() with
    {
        OptionSet = "cpu-demo",
        DecoderLearnsReconstruction = true,
        ReconstructionDistance = "l1",
        ReconstructionWeight = 1.0,
        ReconstructionWeightAfterFade = 1.0,
        ShareSamples = true,
    };

    public static ObjectiveOptions Named(string name) => name.Trim().ToLowerInvariant() switch
    {
        "paper" => Paper(),
        "reference" => Reference(),
        "cpu-demo" => CpuDemo(),
        _ => throw new ArgumentException($"Unknown objective option set '{name}'. Use paper, reference or cpu-demo."),
    };

    public ObjectiveOptions Validate()
    {
        if (ReconstructionDistance is not ("robust" or "l1"))
            throw new ArgumentException($"ReconstructionDistance must be robust or l1; got '{ReconstructionDistance}'.");
        if (EncoderMixShare is < 0 or > 1 || DecoderMixShare is < 0 or > 1)
            throw new ArgumentException("Mix shares must be in [0, 1].");
        if (InvarianceSplitLayer < 1) throw new ArgumentException("InvarianceSplitLayer must be at least 1.");
        return this;
    }
}
