using System.CommandLine;
using Automodulator.Core.Model;

namespace Automodulator.Cli.Commands;

/// <summary>`automod model info|presets`: what a configuration or checkpoint contains.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var preset = CommonOptions.Preset();
        var checkpoint = CommonOptions.Checkpoint();
        var plugins = PluginsCommand.PluginDirs();
        var info = new Command("info", "Layers, parameter counts per block and per-layer style widths of a preset or checkpoint; blocks added on a base and the base's identity.")
        {
            preset, checkpoint, plugins,
        };
        info.SetAction(r =>
        {
            var registry = r.GetValue(checkpoint) is null ? null : PluginsCommand.LoadRegistry(r.GetValue(plugins)!).Registry;
            using var net = CommonOptions.LoadModel(r.GetValue(preset), r.GetValue(checkpoint), 0, registry);
            Print(ModelSummary.Of(net), Console.Out);
            PrintLineage(net, Console.Out);
            return 0;
        });

        var presets = new Command("presets", "List the named model configurations.");
        presets.SetAction(_ =>
        {
            foreach (var (name, description) in ModelPresets.List())
            {
                var c = ModelPresets.Get(name);
                Console.WriteLine($"{name,-12} {c.MaxResolution,4}×{c.MaxResolution,-4} z={c.LatentDim,-4} {description}");
            }
            return 0;
        });

        return new Command("model", "Inspect model configurations and checkpoints.") { info, presets, ModelBenchCommand.Create(), ModelInitCommand.Create() };
    }

    /// <summary>
    /// Blocks added on a pretrained base (inserted plugin blocks, appended levels) and whether the base part, its tensors
    /// taken by name, still has the recorded identity.
    /// </summary>
    public static void PrintLineage(AutomodulatorNetwork net, TextWriter o)
    {
        var c = net.Config;
        if (c.PluginBlocks.Length == 0 && c.AppendedBlocks.Length == 0 && c.BaseIdentity is null) return;
        o.WriteLine();
        foreach (var p in c.PluginBlocks)
            o.WriteLine($"  plugin block  {p.Key}: {p.Type} from {p.Plugin}, after {p.After}");
        foreach (var a in c.AppendedBlocks)
            o.WriteLine($"  appended      {a.Key}: {a.Type} from {a.Plugin}, grown from {a.Resolution / 2}×{a.Resolution / 2}");
        if (c.BaseIdentity is { } identity)
        {
            bool intact = Automodulator.Core.Checkpoints.ModelCheckpoint.BaseIdentityOf(net) == identity;
            o.WriteLine($"  base identity {identity} ({(intact ? "the base tensors are unchanged" : "the base tensors were trained further")})");
        }
    }

    public static void Print(ModelSummary s, TextWriter o)
    {
        var c = s.Config;
        o.WriteLine($"Automodulator {c.Preset ?? "(custom)"}: up to {c.MaxResolution}×{c.MaxResolution}, latent {c.LatentDim}, " +
                    $"{s.LayerResolutions.Count} decoder layers" + (c.ExtraLayerResolution is { } x ? $" (extra layer at {x}×{x})" : ""));
        o.WriteLine($"  encoder channels (4×4 up): {string.Join(",", c.EncoderChannels)}");
        o.WriteLine($"  decoder channels (4×4 up): {string.Join(",", c.DecoderChannels)}");
        o.WriteLine();
        o.WriteLine($"{"block",-32} {"res",7} {"parameters",12}  layers  style widths");
        foreach (var b in s.Encoder.Concat(s.Decoder))
            o.WriteLine($"{b.Name,-32} {b.Resolution + "²",7} {b.Parameters,12:N0}  {(b.Layers.Count > 0 ? string.Join(",", b.Layers) : "-"),-6}  {(b.StyleWidths.Count > 0 ? string.Join(",", b.StyleWidths) : "-")}");
        o.WriteLine();
        o.WriteLine($"{"encoder total",-32} {"",7} {s.EncoderParameters,12:N0}");
        o.WriteLine($"{"decoder total",-32} {"",7} {s.DecoderParameters,12:N0}");
        o.WriteLine($"{"total",-32} {"",7} {s.TotalParameters,12:N0}");
        var ranges = new[] { Abstractions.LayerRange.Coarse, Abstractions.LayerRange.Intermediate, Abstractions.LayerRange.Fine };
        o.WriteLine();
        foreach (var r in ranges)
        {
            var layers = r.Resolve(s.LayerResolutions).Select(i => i + 1).ToList();
            o.WriteLine($"  {r.Name,-13} layers {(layers.Count > 0 ? $"{layers.First()}-{layers.Last()}" : "(none at this size)")}");
        }
    }
}
