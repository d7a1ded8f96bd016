using System.Globalization;
using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>What every built-in edit needs: the inputs' latents, typed options, random unit latents.</summary>
internal static class EditInputs
{
    /// <summary>The request's latents, or φ of its images. Throws a message naming the edit when neither is given.</summary>
    public static Tensor Latents(IAutomodulator model, EditRequest request, string edit, int minimum = 1)
    {
        Tensor z;
        if (request.Latents is not null) z = request.Latents.alias();
        else if (request.Images is not null) z = model.Encode(request.Images.to(model.Device));
        else throw new ArgumentException($"The {edit} edit needs input images or latents.");
        if (z.shape[0] < minimum)
        {
            z.Dispose();
            throw new ArgumentException($"The {edit} edit needs at least {minimum} inputs; got {request.Images?.shape[0] ?? request.Latents!.shape[0]}.");
        }
        return z;
    }

    public static LayerRange Range(EditRequest r, string key, LayerRange fallback) =>
        r.Options.TryGetValue(key, out var v) ? LayerRange.Parse(v) : fallback;

    public static double Double(EditRequest r, string key, double fallback)
    {
        if (!r.Options.TryGetValue(key, out var v)) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d : throw new ArgumentException($"Option {key}={v} is not a number.");
    }

    public static int Int(EditRequest r, string key, int fallback)
    {
        if (!r.Options.TryGetValue(key, out var v)) return fallback;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i : throw new ArgumentException($"Option {key}={v} is not an integer.");
    }

    /// <summary><paramref name="count"/> latents uniform on the unit sphere, from <paramref name="seed"/>.</summary>
    public static Tensor RandomLatents(IAutomodulator model, int count, long seed)
    {
        var gen = new Generator(unchecked((ulong)seed));
        using var z = randn([count, model.LatentDim], generator: gen);
        return nn.functional.normalize(z, dim: 1).to(model.Device);
    }

    /// <summary>Layer indices (0-based) of <paramref name="range"/>, with a clear error when the model has none there.</summary>
    public static IReadOnlyList<int> Layers(IAutomodulator model, LayerRange range)
    {
        var layers = range.Resolve(model.LayerResolutions);
        if (layers.Count == 0)
            throw new ArgumentException(
                $"The range '{range}' selects no layer of this model (layers at {string.Join(",", model.LayerResolutions.Distinct())}).");
        return layers;
    }
}
