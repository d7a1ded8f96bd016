using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Automodulator.Hosting.Training;
using Automodulator.Core.Layers;
using Automodulator.Core.Model;
using Automodulator.Core.Training;
using static TorchSharp.torch;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod bench train`: samples/s of full training iterations (encoder step + decoder step + EMA) at fixed
/// resolutions, fed through the real prefetching producer from synthetic faces, and the share of the time the
/// trainer waited for data. The default is the setting the reference PyTorch code was measured in
/// (/work/shared/ENVIRONMENT.md): width64 preset, batch 16, robust loss, α = 1.
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "Model preset.", DefaultValueFactory = _ => "width64" };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 16 };
        var resolutions = new Option<string>("--resolutions") { Description = "Comma-separated resolutions to time.", DefaultValueFactory = _ => "32,64" };
        var iterations = new Option<int>("--iterations") { Description = "Timed iterations per resolution (after 3 warm-up ones).", DefaultValueFactory = _ => 20 };
        var distance = new Option<string>("--distance") { Description = "robust or l1.", DefaultValueFactory = _ => "robust" };
        var objective = new Option<string>("--objective") { Description = "paper or reference option set.", DefaultValueFactory = _ => "paper" };
        var precision = new Option<string>("--precision") { Description = "Convolution operands: fp32, bf16 (mixed precision) or auto (bf16 where the CPU has AVX512-BF16/AMX or on CUDA).", DefaultValueFactory = _ => "fp32" };
        var shards = new Option<int>("--batch-shards") { Description = "Shards each batch is split into, one thread each (0: automatic, one per thread up to 8; 1: no split).", DefaultValueFactory = _ => 0 };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var cmd = new Command("train", "Benchmark training iterations (samples/s, share of time waiting on data).")
        {
            preset, batch, resolutions, iterations, distance, objective, precision, shards, device, threads,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            var model = ModelPresets.Get(r.GetValue(preset)!);
            var convPrecision = PrecisionConv.Parse(r.GetValue(precision)!, dev);
            int b = r.GetValue(batch), n = r.GetValue(iterations);
            if (b < 2 || n < 1) throw new ArgumentException("--batch must be ≥ 2 and --iterations ≥ 1.");
            var resList = r.GetValue(resolutions)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, out var v) ? v : throw new ArgumentException($"'{s}' in --resolutions is not a number.")).ToList();
            // 64 faces, rendered once up front at every timed resolution and its half: the data are in memory, as in
            // the reference measurement, and the producer only converts pixels while the trainer runs.
            var set = ImageSourceSet.Synthetic(64, model.MaxResolution, 1);
            long parameters;
            using (var net = AutomodulatorNetwork.Create(model, 0)) parameters = net.parameters().Sum(p => p.NumberOfElements);
            int requestedShards = r.GetValue(shards);
            TrainingOptions.CheckBatchShards(requestedShards);
            int shardCount = requestedShards > 0 ? requestedShards : Trainer.AutomaticBatchShards(dev);
            Console.WriteLine($"bench train: preset {model.Preset} ({parameters / 1e6:F2} M parameters, z {model.LatentDim}), batch {b}, " +
                              $"d_X {r.GetValue(distance)}, objective {r.GetValue(objective)}, KL margin {BenchKlMargin}, convolutions {convPrecision}, batch shards {Math.Min(shardCount, b / 2)}, " +
                              $"device {dev}, threads {get_num_threads()}");
            Console.WriteLine("resolution | s/iteration | samples/s | data wait | CPU s/iteration | x̂ backward skipped");
            foreach (var res in resList)
            {
                var buffer = new byte[res * res * 3];
                for (int i = 0; i < set.Count; i++)
                {
                    set.Read(i, res, buffer);
                    if (res > 4) set.Read(i, res / 2, buffer.AsSpan(0, res * res * 3 / 4));
                }
                var options = new TrainingOptions
                {
                    Model = model,
                    Schedule = new ProgressiveSchedule { Name = "bench", Phases = [new SchedulePhase(res, (long)(n + 3) * b, 0, b, 0.0005, BenchKlMargin)] },
                    Objective = ObjectiveOptions.Named(r.GetValue(objective)!) with { ReconstructionDistance = r.GetValue(distance)! },
                    HeldOutImages = 0,
                    Precision = r.GetValue(precision)!,
                    BatchShards = shardCount,
                }.Resolve();
                var (seconds, wait, cpu, skipped) = Measure(options, set, dev, n);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{res}x{res} | {seconds / n:F3} | {n * b / seconds:F1} | {wait / seconds * 100:F1} % | {cpu / n:F3} | {skipped * 100.0 / n:F0} %"));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The paper's KL margin from 32×32 on (it decides how often the x̂ backward is left out).</summary>
    private const double BenchKlMargin = 0.5;

    /// <summary>
    /// Wall seconds for <paramref name="iterations"/> timed iterations, the seconds of those spent waiting on the
    /// channel, the CPU seconds the process used meanwhile (all threads: a figure that other jobs on the machine
    /// disturb much less than the wall time), and the iterations whose encoder step left out the generated images'
    /// backward (their gradient was zero: <see cref="Trainer.FakeBackwardsSkipped"/>).
    /// </summary>
    public static (double Seconds, double Wait, double CpuSeconds, long FakeBackwardsSkipped) Measure(TrainingOptions options, Automodulator.Abstractions.Data.IImageSet set, Device device, int iterations)
    {
        using var trainer = Trainer.Create(options, device);
        using var producer = new BatchProducer(set, options.Schedule, options.Seed, 0, options.PrefetchBatches, 0, options.MirrorAugment);
        for (int i = 0; i < 3; i++) Step(trainer, producer, out _);
        // Let the producer fill the channel as it would during a long run, so warm-up rendering is not counted.
        Thread.Sleep(200);
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        long skipped0 = trainer.FakeBackwardsSkipped;
        var sw = Stopwatch.StartNew();
        double wait = 0;
        for (int i = 0; i < iterations; i++)
        {
            Step(trainer, producer, out var w);
            wait += w.TotalSeconds;
        }
        double seconds = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (seconds, wait, (process.TotalProcessorTime - cpu0).TotalSeconds, trainer.FakeBackwardsSkipped - skipped0);
    }

    private static void Step(Trainer trainer, BatchProducer producer, out TimeSpan wait)
    {
        using var batch = producer.Take(out wait) ?? throw new InvalidOperationException("The producer ran dry.");
        using var result = trainer.Step(batch);
    }
}
