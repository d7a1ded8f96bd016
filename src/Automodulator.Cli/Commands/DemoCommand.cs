using System.CommandLine;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod demo`: the README's main job on the embedded default. For now: describe the demo model, save it as a
/// checkpoint, reload it and decode random latents to a PNG grid (training and edits join as they land).
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Run folder.", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var preset = new Option<string>("--preset") { Description = "Model preset.", DefaultValueFactory = _ => "small32" };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var cmd = new Command("demo", "Run the embedded demo: model summary, checkpoint round trip, sample grid.")
        {
            output, preset, device, threads, seed,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            var dir = r.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var config = ModelPresets.Get(r.GetValue(preset)!);
            var ckpt = Path.Combine(dir, "model.amod");
            using (var net = AutomodulatorNetwork.Create(config, r.GetValue(seed)))
            {
                ModelCommands.Print(ModelSummary.Of(net), Console.Out);
                ModelCheckpoint.Save(net, ckpt);
            }
            using var loaded = ModelCheckpoint.Load(ckpt);
            var grid = Path.Combine(dir, "samples.png");
            SampleCommand.Write(loaded, dev, 16, config.MaxResolution, r.GetValue(seed), grid);
            Console.WriteLine();
            Console.WriteLine($"device: {dev}; checkpoint: {ckpt}; samples: {grid}");
            return 0;
        });
        return cmd;
    }
}
