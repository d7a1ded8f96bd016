using System.Text.Json.Nodes;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Edits;
using Automodulator.Data.Cache;
using Automodulator.Hosting.Editing;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Pipelines.Steps;

/// <summary>
/// kind "edit": one or more edit operations with a trained model. Options: checkpoint, inputs (see
/// <see cref="CacheInputs"/>), seed, edits: [{operation, name, options{KEY: VALUE}, inputs (override),
/// direction: {name, factor, count} (attribute edits: a direction from the cache's synthetic factors)}].
/// Each edit writes NAME.png and NAME.json into the step folder.
/// </summary>
public sealed class EditStep : IPipelineStep
{
    public string Kind => "edit";

    public StepOutcome Run(StepContext c, CancellationToken stop)
    {
        var checkpoint = c.PathOption("checkpoint") ?? throw new ArgumentException($"Step '{c.Step.Name}' needs option \"checkpoint\".");
        var baseInputs = c.Options["inputs"] as JsonObject ?? new JsonObject();
        var edits = c.Options["edits"] as JsonArray ?? throw new ArgumentException($"Step '{c.Step.Name}' needs an \"edits\" array.");
        long seed = c.Get("seed", 0L);
        foreach (var node in edits)
        {
            if (stop.IsCancellationRequested) return StepOutcome.Interrupted;
            var spec = node as JsonObject ?? throw new ArgumentException($"Step '{c.Step.Name}': each edit must be an object.");
            var op = spec["operation"]?.GetValue<string>() ?? throw new ArgumentException($"Step '{c.Step.Name}': an edit has no \"operation\".");
            var name = spec["name"]?.GetValue<string>() ?? op;
            var edit = c.Registry.Edit(op);
            var inputSpec = (JsonObject)baseInputs.DeepClone();
            if (spec["inputs"] is JsonObject over) foreach (var (k, v) in over) inputSpec[k] = v?.DeepClone();
            var options = (spec["options"] as JsonObject ?? new JsonObject()).ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value!.ToJsonString());
            if (spec["direction"] is JsonObject direction) options["direction"] = MakeDirection(c, checkpoint, inputSpec, direction);
            var png = EditRunner.Run(edit, checkpoint, CacheInputs.From(inputSpec, c.Pipeline), options, seed, c.Folder, c.Device, c.Registry, name);
            c.Record.Outputs[name] = png;
            c.Log.LogInformation("{Edit}: wrote {Png}", name, png);
        }
        return StepOutcome.Done;
    }

    /// <summary>An attribute direction from the cache items with the highest vs the lowest value of a factor.</summary>
    private static string MakeDirection(StepContext c, string checkpoint, JsonObject inputs, JsonObject spec)
    {
        var name = spec["name"]?.GetValue<string>() ?? "attribute";
        var factor = spec["factor"]?.GetValue<string>() ?? throw new ArgumentException($"Step '{c.Step.Name}': a direction needs \"factor\" (e.g. intermediate.smile).");
        int count = spec["count"]?.GetValue<int>() ?? 8;
        var cache = c.Pipeline.ResolvePath(spec["cache"]?.GetValue<string>() ?? inputs["cache"]?.GetValue<string>()
                    ?? throw new ArgumentException($"Step '{c.Step.Name}': a direction needs a cache."));
        using var net = ModelCheckpoint.Load(checkpoint, c.Registry);
        int res = net.Config.MaxResolution;
        net.to(c.Device);
        using var _ = no_grad();
        using var reader = CacheReader.Open(cache);
        var (high, low) = CacheInputs.ByFactor(reader, factor, count);
        using var scope = NewDisposeScope();
        var d = AttributeDirection.FromExemplars(net.AsAutomodulator(res, c.Device), name,
            CacheInputs.Load(reader, high, res), CacheInputs.Load(reader, low, res));
        var path = Path.Combine(c.Folder, $"{name}.direction.json");
        d.Save(path);
        c.Log.LogInformation("direction {Name}: {Count} highest vs {Count} lowest {Factor} → {Path}", name, count, count, factor, path);
        return path;
    }
}
