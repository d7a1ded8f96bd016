namespace Automodulator.Abstractions;

/// <summary>The two alternating optimisation steps of the automodulator (paper Sec. 3, App. A).</summary>
public enum TrainingStep
{
    /// <summary>Updates the encoder φ (and the robust loss's parameters).</summary>
    Encoder,

    /// <summary>Updates the decoder θ.</summary>
    Decoder,
}
