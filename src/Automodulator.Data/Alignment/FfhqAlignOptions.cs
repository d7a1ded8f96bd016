namespace Automodulator.Data.Alignment;

/// <summary>Settings of <see cref="FfhqAligner"/>; the defaults are the FFHQ recipe's.</summary>
public sealed record FfhqAlignOptions
{
    /// <summary>Side of the aligned square image (the recipe's <c>output_size</c>, 1024 for FFHQ).</summary>
    public int OutputSize { get; init; } = 1024;

    /// <summary>
    /// The recipe's <c>transform_size</c>: it warps to this size with bilinear sampling, then Lanczos-resizes to the
    /// output. The fast path (default) warps to the smallest multiple of the output size that still samples the
    /// source at least once per source pixel (never more than this), which gives the same filter response for a
    /// fraction of the work; <see cref="ExactTransform"/> forces the full intermediate.
    /// </summary>
    public int TransformSize { get; init; } = 4096;

    /// <summary>Warp through the full <see cref="TransformSize"/> intermediate, as the recipe does (slow; for checks).</summary>
    public bool ExactTransform { get; init; }

    /// <summary>The recipe's <c>enable_padding</c>: reflect-pad, blur and fade where the quad leaves the image.</summary>
    public bool EnablePadding { get; init; } = true;

    /// <summary>The recipe's <c>rotate_level</c>: turn the crop so the eyes are level.</summary>
    public bool RotateLevel { get; init; } = true;

    /// <summary>Take the warp's bilinear samples 8 at a time with AVX2 where available (off only to test the scalar path).</summary>
    internal bool Simd { get; init; } = true;

    internal void Validate()
    {
        if (OutputSize is < 8 or > 16384) throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, "Output size must be 8…16384 pixels.");
        if (TransformSize < 8) throw new ArgumentOutOfRangeException(nameof(TransformSize), TransformSize, "Transform size must be at least 8.");
    }
}
