using System.Diagnostics;
using Automodulator.Core.Model;
using Automodulator.Core.Runtime;
using Automodulator.Core.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

[Collection("Training")]
public sealed class LearningTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-learn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>fp32, and bf16 mixed precision (the option that makes training ≥ 2× the reference's speed).</summary>
    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void A_tiny_model_halves_the_held_out_reconstruction_error_on_synthetic_faces(string precision)
    {
        var data = new SyntheticFaceSet(512, maxResolution: 16);
        var options = new TrainingOptions
        {
            Seed = 3,
            Model = ModelPresets.Get("tiny16"),
            Schedule = new ProgressiveSchedule
            {
                Phases =
                [
                    new SchedulePhase(4, 800, 0, 16, 0.002, 2.0),
                    new SchedulePhase(8, 1_600, 0.25, 16, 0.002, 2.0),
                    new SchedulePhase(16, 4_000, 0.25, 16, 0.002, 0.5),
                ],
            },
            EmaDecay = 0.95,
            HeldOutImages = 32,
            CheckpointEverySamples = 0,
            SnapshotEverySamples = 0,
            LogFlushEveryIterations = 50,
            Precision = precision,
        };
        // Tensors this small gain nothing from a second intra-op thread, and waking it costs more than it saves. Set for
        // this thread only (threads started meanwhile by other tests keep the process-wide count); with one thread the
        // trainer picks one batch shard, so this also trains through the unsplit path.
        int threads = get_num_threads();
        IntraOpThreads.SetForCurrentThread(1);
        using var run = TrainingRun.Start(_dir, options, data);
        using var heldOut = run.HeldOut(16);
        double before = run.Trainer.ReconstructionError(heldOut);
        var sw = Stopwatch.StartNew();
        double after;
        try
        {
            Assert.Equal(RunOutcome.Finished, run.Run());
            after = run.Trainer.ReconstructionError(heldOut);
        }
        finally
        {
            IntraOpThreads.SetForCurrentThread(threads);
        }
        output.WriteLine($"{precision}: held-out L1 {before:F4} → {after:F4} in {sw.Elapsed.TotalSeconds:F1} s ({run.Trainer.Iteration} iterations)");
        Assert.True(after <= before / 2, $"held-out L1 went from {before:F4} to {after:F4}, not halved");
    }
}
