using System.Text.Json;
using Automodulator.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Edits;

/// <summary>
/// A latent-space direction for an attribute (paper App. C): the mean latent of exemplars with the attribute minus
/// the mean latent of exemplars without it. Saved as JSON so one direction serves many edits and models of the
/// same latent space.
/// </summary>
public sealed record AttributeDirection(string Name, float[] Vector, int Positives, int Negatives)
{
    /// <summary>The paper uses a handful of exemplars; fewer than this per side gives a noisy direction.</summary>
    public const int MinimumExemplars = 4;

    public static AttributeDirection FromExemplars(IAutomodulator model, string name, Tensor withAttribute, Tensor withoutAttribute)
    {
        int p = (int)withAttribute.shape[0], n = (int)withoutAttribute.shape[0];
        if (p < MinimumExemplars || n < MinimumExemplars)
            throw new ArgumentException(
                $"An attribute direction needs at least {MinimumExemplars} images with and {MinimumExemplars} without the attribute; got {p} and {n}.");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var d = model.Encode(withAttribute.to(model.Device)).mean([0]) - model.Encode(withoutAttribute.to(model.Device)).mean([0]);
        return new AttributeDirection(name, d.cpu().data<float>().ToArray(), p, n);
    }

    public Tensor ToTensor(Device device) => tensor(Vector).to(device);

    public void Save(string path)
    {
        var json = JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = false });
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        File.WriteAllText(tmp, json);
        File.Move(tmp, full, overwrite: true);
    }

    public static AttributeDirection Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Attribute direction file '{path}' does not exist.", path);
        try
        {
            var d = JsonSerializer.Deserialize<AttributeDirection>(File.ReadAllText(path));
            if (d is null || d.Vector is null || d.Vector.Length == 0) throw new JsonException("no vector");
            return d;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"'{path}' is not an attribute direction file ({e.Message}).");
        }
    }
}
