using System.CommandLine;
using System.Diagnostics;
using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod model bench`: time of one encoder + decoder forward and backward pass (x → φ(x) → θ(φ(x)), L1, backward)
/// at a given resolution and batch: the raw cost of the network, before any training logic.
/// </summary>
public static class ModelBenchCommand
{
    public static Command Create()
    {
        var presets = new Option<string[]>("--preset")
        {
            Description = "Presets to measure (repeatable).",
            DefaultValueFactory = _ => ["small32", "width64"],
            AllowMultipleArgumentsPerToken = true,
        };
        var resolution = new Option<int>("--resolution") { Description = "Resolution to run at.", DefaultValueFactory = _ => 32 };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 16 };
        var iterations = new Option<int>("--iterations") { Description = "Timed iterations (after 2 warm-up ones).", DefaultValueFactory = _ => 10 };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var cmd = new Command("bench", "Time one encoder+decoder forward/backward pass per preset.")
        {
            presets, resolution, batch, iterations, device, threads,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            int res = r.GetValue(resolution), b = r.GetValue(batch), n = r.GetValue(iterations);
            Console.WriteLine($"device {dev}, threads {get_num_threads()}, {res}×{res}, batch {b}, {n} iterations");
            Console.WriteLine($"{"preset",-14} {"parameters",12} {"ms/iter",9} {"samples/s",10}");
            foreach (var name in r.GetValue(presets)!)
            {
                var config = ModelPresets.Get(name);
                if (res > config.MaxResolution) { Console.WriteLine($"{name,-14} (max {config.MaxResolution}×{config.MaxResolution}, skipped)"); continue; }
                using var net = AutomodulatorNetwork.Create(config, 0).to(dev);
                net.train();
                long parameters = net.parameters().Sum(p => p.NumberOfElements);
                var ms = Measure(net, dev, res, b, n);
                Console.WriteLine($"{name,-14} {parameters,12:N0} {ms,9:F1} {b * 1000.0 / ms,10:F1}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Mean milliseconds of one forward/backward iteration.</summary>
    public static double Measure(AutomodulatorNetwork net, Device device, int resolution, int batch, int iterations)
    {
        var x = randn(batch, 3, resolution, resolution, device: device);
        void Step()
        {
            using var scope = NewDisposeScope();
            var z = net.Encoder.call(x, 1.0);
            var y = net.Decoder.Decode(z, resolution);
            var loss = (y - x).abs().mean();
            loss.backward();
            foreach (var p in net.parameters()) p.grad?.zero_();
        }
        Step();
        Step();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) Step();
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        x.Dispose();
        return sw.Elapsed.TotalMilliseconds / iterations;
    }
}
