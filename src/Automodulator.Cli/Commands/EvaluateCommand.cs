using System.CommandLine;
using System.Text.Json;
using Automodulator.Core.Checkpoints;
using Automodulator.Data.Imaging;
using Automodulator.Hosting.Evaluation;
using TorchSharp;

namespace Automodulator.Cli.Commands;

/// <summary>`automod evaluate`: the ground-truth mixing score of a trained model on synthetic faces.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Trained model (.amod).", Required = true };
        var pairs = new Option<int>("--pairs") { Description = "Synthetic face pairs (A, B).", DefaultValueFactory = _ => 64 };
        var seed = new Option<long>("--seed") { Description = "Seed of the face pairs.", DefaultValueFactory = _ => 12345L };
        var output = new Option<string?>("--out") { Description = "Also write the report as JSON here." };
        var plugins = PluginsCommand.PluginDirs();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var cmd = new Command("evaluate", "Ground-truth mixing score on synthetic faces: decoded mixes vs the renderer's image of the mixed factors.")
        {
            checkpoint, pairs, seed, output, plugins, device, threads,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            var registry = PluginsCommand.LoadRegistry(r.GetValue(plugins)!).Registry;
            using var net = ModelCheckpoint.Load(r.GetValue(checkpoint)!, registry);
            net.to(dev);
            var report = MixingScore.Measure(net.AsAutomodulator(net.Config.MaxResolution, dev), r.GetValue(pairs), r.GetValue(seed));
            Console.WriteLine($"{report.Pairs} pairs at {report.Resolution}×{report.Resolution}; errors in 8-bit levels (mean absolute)");
            Console.WriteLine($"reconstruction: {report.ReconstructionError:F2}");
            Console.WriteLine($"{"A's scale",-13} {"layers",-14} {"mix",7} {"keep B",7} {"take A",7} {"relative",9}");
            foreach (var s in report.Scales)
                Console.WriteLine($"{s.Scale,-13} {string.Join(",", s.Layers),-14} {s.MixError,7:F2} {s.KeepBError,7:F2} {s.TakeAError,7:F2} {s.Relative,9:F2}");
            if (r.GetValue(output) is { } path)
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return cmd;
    }
}
