using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automodulator.Abstractions;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Edits;
using Automodulator.Data.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod edit OP PHOTOS… --checkpoint M`: runs a registered edit operation (built-in or plugin) on photos and writes
/// a labelled PNG grid plus a JSON of what was done. `automod edit direction` makes an attribute direction file.
/// </summary>
public static class EditCommand
{
    public static Command Create()
    {
        var op = new Argument<string>("operation") { Description = "reconstruct, mix, attribute, conditional, interpolate, random, or a plugin's edit (see `automod plugins list`)." };
        var photos = new Argument<string[]>("photos") { Description = "Input images (JPEG, PNG, WebP).", Arity = ArgumentArity.ZeroOrMore };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Trained model (.amod).", Required = true };
        var align = new Option<string>("--align") { Description = "faces: FFHQ-align each photo's largest face; crop: centre crop.", DefaultValueFactory = _ => "crop" };
        var set = new Option<string[]>("--set") { Description = "Edit option KEY=VALUE (repeatable), e.g. range=coarse, strengths=-1,0,1, keep=coarse, steps=8, direction=smile.json.", DefaultValueFactory = _ => [] };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "edits" };
        var landmarkModel = new Option<string?>("--landmark-model") { Description = "dlib 68-point model for --align faces." };
        var plugins = PluginsCommand.PluginDirs();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var cmd = new Command("edit", "Apply an edit operation to photos with a trained model; writes OP.png and OP.json.")
        {
            op, photos, checkpoint, align, set, output, landmarkModel, plugins, seed, device, threads,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            var registry = PluginsCommand.LoadRegistry(r.GetValue(plugins)!).Registry;
            IEditOperation edit;
            try { edit = registry.Edit(r.GetValue(op)!); }
            catch (KeyNotFoundException e) { throw new ArgumentException(e.Message); }
            var options = ParseOptions(r.GetValue(set)!);
            var ckpt = r.GetValue(checkpoint)!;
            var dir = r.GetValue(output)!;
            var result = Run(edit, ckpt, r.GetValue(photos)!, r.GetValue(align)!, options, r.GetValue(seed), dir, dev, r.GetValue(landmarkModel));
            Console.WriteLine($"wrote {result}");
            return 0;
        });
        cmd.Subcommands.Add(DirectionCommand());
        return cmd;
    }

    public static Dictionary<string, string> ParseOptions(IEnumerable<string> pairs)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            int eq = p.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--set takes KEY=VALUE; got '{p}'.");
            d[p[..eq].Trim()] = p[(eq + 1)..].Trim();
        }
        return d;
    }

    /// <summary>Runs one edit and writes DIR/OP.png and DIR/OP.json; returns the PNG path.</summary>
    public static string Run(IEditOperation edit, string checkpoint, IReadOnlyList<string> photos, string align,
        IReadOnlyDictionary<string, string> options, long seed, string dir, Device device, string? landmarkModel = null)
    {
        using var net = ModelCheckpoint.Load(checkpoint);
        int res = net.Config.MaxResolution;
        net.to(device);
        using var _ = no_grad();
        var model = net.AsAutomodulator(res, device);
        var loader = new EditPhotoLoader(align, res, landmarkModel);
        using var scope = NewDisposeScope();
        var images = photos.Count > 0 ? loader.Load(photos) : null;
        var result = edit.Run(model, new EditRequest { Images = images, Options = options, Seed = seed });
        var png = Path.Combine(dir, $"{edit.Name}.png");
        ImageGrid.Save(result.Images.cpu(), result.Rows, result.Columns, png, result.RowLabels, result.ColumnLabels);
        result.Images.Dispose();
        var json = new JsonObject
        {
            ["edit"] = edit.Name,
            ["model"] = new JsonObject { ["path"] = Path.GetFullPath(checkpoint), ["sha256"] = Sha256(checkpoint) },
            ["resolution"] = res,
            ["align"] = align,
            ["inputs"] = new JsonArray(loader.Used.Select(p => (JsonNode)Path.GetFullPath(p)).ToArray()),
            ["rejected"] = new JsonArray(loader.Rejected.Select(x => (JsonNode)new JsonObject { ["path"] = x.Path, ["reason"] = x.Reason }).ToArray()),
            ["options"] = new JsonObject(options.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["seed"] = seed,
            ["grid"] = new JsonObject { ["rows"] = result.Rows, ["columns"] = result.Columns, ["png"] = Path.GetFileName(png) },
            ["result"] = JsonSerializer.SerializeToNode(result.Metadata),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, $"{edit.Name}.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var (path, reason) in loader.Rejected) Console.Error.WriteLine($"skipped {path}: {reason}");
        return png;
    }

    public static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    private static Command DirectionCommand()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Trained model (.amod).", Required = true };
        var with = new Option<string[]>("--with") { Description = $"At least {AttributeDirection.MinimumExemplars} images that show the attribute.", Required = true, AllowMultipleArgumentsPerToken = true };
        var without = new Option<string[]>("--without") { Description = $"At least {AttributeDirection.MinimumExemplars} images that do not.", Required = true, AllowMultipleArgumentsPerToken = true };
        var name = new Option<string>("--name") { Description = "Attribute name (e.g. smile).", DefaultValueFactory = _ => "attribute" };
        var align = new Option<string>("--align") { Description = "faces or crop.", DefaultValueFactory = _ => "crop" };
        var output = new Option<string>("--out") { Description = "Direction file to write (.json).", Required = true };
        var device = CommonOptions.Device();
        var cmd = new Command("direction", "Make an attribute direction (mean latent with minus without, paper App. C) for `edit attribute`.")
        {
            checkpoint, with, without, name, align, output, device,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, 0);
            using var net = ModelCheckpoint.Load(r.GetValue(checkpoint)!);
            net.to(dev);
            int res = net.Config.MaxResolution;
            using var _ = no_grad();
            var model = net.AsAutomodulator(res, dev);
            using var scope = NewDisposeScope();
            var positives = new EditPhotoLoader(r.GetValue(align)!, res, null).Load(r.GetValue(with)!);
            var negatives = new EditPhotoLoader(r.GetValue(align)!, res, null).Load(r.GetValue(without)!);
            var direction = AttributeDirection.FromExemplars(model, r.GetValue(name)!, positives, negatives);
            direction.Save(r.GetValue(output)!);
            Console.WriteLine($"wrote {r.GetValue(output)} ({direction.Positives} with, {direction.Negatives} without)");
            return 0;
        });
        return cmd;
    }
}
