using System.CommandLine;
using Automodulator.Abstractions;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Edits;
using Automodulator.Hosting.Editing;
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
            var photoList = r.GetValue(photos)!;
            Func<int, EditInputSet> inputs = res =>
            {
                var set = EditRunner.Photos(photoList, r.GetValue(align)!, r.GetValue(landmarkModel))(res);
                foreach (var (path, reason) in set.Rejected) Console.Error.WriteLine($"skipped {path}: {reason}");
                return set;
            };
            var result = EditRunner.Run(edit, ckpt, inputs, options, r.GetValue(seed), dir, dev, registry);
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
