using System.CommandLine;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod model init`: a freshly initialised model of a preset: its summary, a checkpoint (model.amod) written and
/// read back, and random latents decoded to samples.png. A starting point for plugins and a smoke test of a setup.
/// </summary>
public static class ModelInitCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => Path.Combine("runs", "init") };
        var preset = new Option<string>("--preset") { Description = "Model preset.", DefaultValueFactory = _ => "small32" };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var cmd = new Command("init", "Write a freshly initialised model (model.amod), its summary and a sample grid.")
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
