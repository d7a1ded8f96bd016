using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>
/// Random samples θ(z), z uniform on the unit sphere, optionally truncated toward the mean latent:
/// z' = normalise(z̄ + ψ(z − z̄)), where z̄ is the mean latent of the inputs (images or latents). ψ = 1 is no
/// truncation. Options: count (default 16), truncation ψ (default 1).
/// </summary>
public sealed class RandomSampleEdit : IEditOperation
{
    public string Name => "random";
    public string Description => "Random samples, optionally truncated toward the inputs' mean latent.";

    public static Tensor Truncate(Tensor z, Tensor mean, double psi) =>
        psi == 1.0 ? z.alias() : nn.functional.normalize(mean + (z - mean) * psi, dim: 1);

    public EditResult Run(IAutomodulator model, EditRequest request)
    {
        int count = EditInputs.Int(request, "count", 16);
        double psi = EditInputs.Double(request, "truncation", 1.0);
        if (count < 1) throw new ArgumentException("count must be at least 1.");
        if (psi < 0 || psi > 1) throw new ArgumentException($"truncation must be in [0, 1]; got {psi}.");
        using var scope = NewDisposeScope();
        var z = EditInputs.RandomLatents(model, count, request.Seed);
        if (psi < 1.0)
        {
            if (request.Images is null && request.Latents is null)
                throw new ArgumentException("Truncation needs inputs (images or latents) to estimate the mean latent.");
            var mean = EditInputs.Latents(model, request, Name).mean([0], keepdim: true);
            z = Truncate(z, mean, psi);
        }
        var images = model.Decode(LayerLatents.Uniform(z, model.LayerResolutions.Count));
        int cols = (int)Math.Ceiling(Math.Sqrt(count));
        var rows = (count + cols - 1) / cols;
        if (rows * cols > count)
            images = cat([images, ones(rows * cols - count, 3, model.Resolution, model.Resolution, device: model.Device)]);
        return new EditResult
        {
            Images = images.MoveToOuterDisposeScope(),
            Rows = rows,
            Columns = cols,
            Metadata = new Dictionary<string, object?> { ["edit"] = Name, ["count"] = count, ["truncation"] = psi, ["seed"] = request.Seed },
        };
    }
}
