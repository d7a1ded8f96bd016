using System.Diagnostics;
using Automodulator.Core.Model;
using Automodulator.Core.Training;
using Xunit.Abstractions;

namespace Automodulator.Core.Tests.Training;

public sealed class ProfileTmpTests(ITestOutputHelper output)
{
    [Fact]
    public void Profile()
    {
        var data = new SyntheticFaceSet(64, maxResolution: 16);
        var sw = Stopwatch.StartNew();
        var buf = new byte[16 * 16 * 3];
        for (int i = 0; i < 64; i++) data.Read(i, 16, buf);
        output.WriteLine($"render 64 @16: {sw.ElapsedMilliseconds} ms");
        var options = new TrainingOptions
        {
            Model = ModelPresets.Get("tiny16"),
            Schedule = new ProgressiveSchedule { Phases = [new SchedulePhase(16, 100000, 0, 16, 0.002, 0.5)] },
        };
        using var t = Trainer.Create(options);
        var batches = TrainingFixtures.Batches(options, data).Take(40).ToList();
        for (int i = 0; i < 5; i++) t.Step(batches[i]).Dispose();
        sw.Restart();
        for (int i = 5; i < 40; i++) t.Step(batches[i]).Dispose();
        output.WriteLine($"step @16 tiny16 b16: {sw.Elapsed.TotalMilliseconds / 35:F1} ms; threads {TorchSharp.torch.get_num_threads()}");
    }
}
