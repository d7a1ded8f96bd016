using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automodulator.Abstractions;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Registry;
using Automodulator.Data.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Editing;

/// <summary>The inputs of one edit run: images at the model's resolution ([N, 3, R, R] in [-1, 1]) and where they came from.</summary>
public sealed record EditInputSet(Tensor? Images, IReadOnlyList<string> Sources, IReadOnlyList<(string Source, string Reason)> Rejected);

/// <summary>
/// Runs one edit operation with a trained model and writes OP.png (labelled grid) and OP.json (edit, model path and
/// SHA-256, inputs, rejected inputs with reasons, options, seed, the edit's own metadata) into a folder.
/// Used by `automod edit` and by the pipeline's edit steps.
/// </summary>
public static class EditRunner
{
    /// <summary>Loads a model checkpoint (with plugin blocks from <paramref name="registry"/>) and runs the edit.</summary>
    public static string Run(IEditOperation edit, string checkpoint, Func<int, EditInputSet> inputsAtResolution,
        IReadOnlyDictionary<string, string> options, long seed, string dir, Device device, ComponentRegistry? registry = null,
        string? name = null)
    {
        using var net = ModelCheckpoint.Load(checkpoint, registry);
        int res = net.Config.MaxResolution;
        net.to(device);
        using var _ = no_grad();
        var model = net.AsAutomodulator(res, device);
        using var scope = NewDisposeScope();
        var inputs = inputsAtResolution(res);
        var result = edit.Run(model, new EditRequest { Images = inputs.Images, Options = options, Seed = seed });
        var stem = name ?? edit.Name;
        var png = Path.Combine(dir, $"{stem}.png");
        ImageGrid.Save(result.Images.cpu(), result.Rows, result.Columns, png, result.RowLabels, result.ColumnLabels);
        result.Images.Dispose();
        var json = new JsonObject
        {
            ["edit"] = edit.Name,
            ["model"] = new JsonObject { ["path"] = Path.GetFullPath(checkpoint), ["sha256"] = Sha256(checkpoint) },
            ["resolution"] = res,
            ["inputs"] = new JsonArray(inputs.Sources.Select(p => (JsonNode)p).ToArray()),
            ["rejected"] = new JsonArray(inputs.Rejected.Select(x => (JsonNode)new JsonObject { ["path"] = x.Source, ["reason"] = x.Reason }).ToArray()),
            ["options"] = new JsonObject(options.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["seed"] = seed,
            ["grid"] = new JsonObject { ["rows"] = result.Rows, ["columns"] = result.Columns, ["png"] = Path.GetFileName(png) },
            ["result"] = JsonSerializer.SerializeToNode(result.Metadata),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, $"{stem}.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return png;
    }

    /// <summary>Photos as inputs: aligned (faces) or centre-cropped, unusable ones recorded and skipped.</summary>
    public static Func<int, EditInputSet> Photos(IReadOnlyList<string> photos, string align, string? landmarkModel = null) => res =>
    {
        if (photos.Count == 0) return new EditInputSet(null, [], []);
        var loader = new EditPhotoLoader(align, res, landmarkModel);
        var images = loader.Load(photos);
        return new EditInputSet(images, loader.Used.Select(Path.GetFullPath).ToArray(), loader.Rejected);
    };

    public static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }
}
