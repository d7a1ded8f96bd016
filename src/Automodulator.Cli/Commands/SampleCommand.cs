using System.CommandLine;
using Automodulator.Core.Model;
using Automodulator.Data.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Cli.Commands;

/// <summary>`automod sample`: decode random unit latents to a PNG grid.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var preset = CommonOptions.Preset();
        var checkpoint = CommonOptions.Checkpoint();
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var count = new Option<int>("--count") { Description = "Number of samples.", DefaultValueFactory = _ => 16 };
        var resolution = new Option<int>("--resolution") { Description = "Output resolution (default: the model's largest)." };
        var output = new Option<string>("--out") { Description = "PNG file to write.", DefaultValueFactory = _ => "samples.png" };
        var plugins = PluginsCommand.PluginDirs();
        var cmd = new Command("sample", "Decode random latents (z on the unit sphere) to a PNG grid.")
        {
            preset, checkpoint, seed, device, threads, count, resolution, output, plugins,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            var registry = r.GetValue(checkpoint) is null ? null : PluginsCommand.LoadRegistry(r.GetValue(plugins)!).Registry;
            using var net = CommonOptions.LoadModel(r.GetValue(preset), r.GetValue(checkpoint), r.GetValue(seed), registry);
            int n = r.GetValue(count);
            if (n < 1) throw new ArgumentException("--count must be at least 1.");
            int res = r.GetValue(resolution) is > 0 and var v ? v : net.Config.MaxResolution;
            var path = r.GetValue(output)!;
            Write(net, dev, n, res, r.GetValue(seed), path);
            Console.WriteLine($"wrote {n} samples at {res}×{res} to {path}");
            return 0;
        });
        return cmd;
    }

    public static void Write(AutomodulatorNetwork net, Device device, int count, int resolution, long seed, string path)
    {
        net.to(device).eval();
        net.Decoder.NoiseEnabled = false;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var z = nn.functional.normalize(randn([count, net.Config.LatentDim], generator: gen), dim: 1).to(device);
        var images = net.Decoder.Decode(z, resolution).cpu();
        int cols = (int)Math.Ceiling(Math.Sqrt(count));
        ImageGrid.Save(images, (count + cols - 1) / cols, cols, path);
    }
}
