using static TorchSharp.torch;

namespace Automodulator.Abstractions;

/// <summary>
/// What an edit operation may do with a trained model: encode images, decode per-layer latent assignments.
/// Images are [B, 3, R, R] in [-1, 1] at <see cref="Resolution"/>.
/// </summary>
public interface IAutomodulator
{
    /// <summary>Resolution the model currently encodes and decodes at.</summary>
    int Resolution { get; }

    /// <summary>Width of the latent.</summary>
    int LatentDim { get; }

    /// <summary>Output resolution of each decoder layer, in decode order (length = number of layers).</summary>
    IReadOnlyList<int> LayerResolutions { get; }

    /// <summary>Device the model's tensors live on.</summary>
    Device Device { get; }

    /// <summary>φ(x): unit-norm latents [B, zdim].</summary>
    Tensor Encode(Tensor images);

    /// <summary>θ with a latent per layer.</summary>
    Tensor Decode(LayerLatents latents);
}
