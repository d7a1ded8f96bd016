using Automodulator.Core.Training;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

public class ScheduleAndDataTests
{
    [Fact]
    public void Fade_in_alpha_grows_linearly_over_the_fade_share_of_a_grown_phase()
    {
        var s = new ProgressiveSchedule
        {
            Phases = [new SchedulePhase(4, 100, 0.5, 10, 1e-3, 2), new SchedulePhase(8, 200, 0.25, 10, 1e-3, 2), new SchedulePhase(8, 100, 0.5, 10, 1e-3, 0.5)],
        }.Validate();
        Assert.Equal(1.0, s.Locate(50).Alpha);           // first phase: nothing to fade from
        Assert.Equal(0.0, s.Locate(100).Alpha);          // 8×8 starts
        Assert.Equal(0.5, s.Locate(125).Alpha, 9);       // 25 of 50 fade samples
        Assert.Equal(1.0, s.Locate(150).Alpha);
        Assert.Equal(2, s.Locate(300).PhaseIndex);
        Assert.Equal(1.0, s.Locate(300).Alpha);          // same resolution as before: no fade
        Assert.True(s.Locate(400).IsFinished);
    }

    [Fact]
    public void Schedules_that_skip_a_resolution_are_refused_with_the_phase_named()
    {
        var s = new ProgressiveSchedule { Phases = [new SchedulePhase(4, 100, 0, 10, 1e-3, 2), new SchedulePhase(16, 100, 0.5, 10, 1e-3, 2)] };
        var e = Assert.Throws<ArgumentException>(() => s.Validate());
        Assert.Contains("phase 2", e.Message);
    }

    [Fact]
    public void Paper_presets_follow_appendix_a()
    {
        foreach (var name in new[] { "celebahq", "ffhq", "bedrooms", "cars" })
        {
            var s = SchedulePresets.Get(name);
            Assert.All(s.Phases.Where(p => p.Resolution <= 32), p => Assert.Equal(0.0005, p.LearningRate));
            Assert.All(s.Phases.Where(p => p.Resolution >= 64), p => Assert.Equal(0.001, p.LearningRate));
            Assert.All(s.Phases.Where(p => p.Resolution <= 32), p => Assert.Equal(2_400_000, p.Samples));
            Assert.Equal(10_440_000, s.Phases.Single(p => p.Resolution == 64).Samples);
            Assert.Equal([2.0, 2.0, 0.5, 0.5, 0.5], s.Phases.Take(5).Select(p => p.KlMargin).ToArray());
            // The fade takes the first 1.2M samples of every grown phase.
            Assert.All(s.Phases.Skip(1), p => Assert.Equal(1_200_000, p.FadeInShare * p.Samples, 1));
        }
        Assert.Equal(0.2, SchedulePresets.Get("celebahq").Phases.Single(p => p.Resolution == 128).KlMargin);
        Assert.Equal(0.4, SchedulePresets.Get("celebahq").Phases.Single(p => p.Resolution == 256).KlMargin);
        Assert.All(SchedulePresets.Get("bedrooms").Phases.Where(p => p.Resolution >= 128), p => Assert.Equal(0.2, p.KlMargin));
        Assert.Equal(512, SchedulePresets.Get("ffhq").MaxResolution);
    }

    [Fact]
    public void Producer_started_mid_run_makes_the_batches_of_an_unbroken_run()
    {
        var data = new SyntheticFaceSet(20);
        var options = TrainingFixtures.Tiny(samplesPerPhase: 40);
        var all = TrainingFixtures.Batches(options, data).ToList();
        var later = TrainingFixtures.Batches(options, data, start: all[7].StartSample).ToList();
        Assert.Equal(all.Count - 7, later.Count);
        for (int i = 0; i < later.Count; i++)
        {
            Assert.Equal(all[i + 7].StartSample, later[i].StartSample);
            Assert.Equal(all[i + 7].Alpha, later[i].Alpha);
            Assert.True(all[i + 7].Images.allclose(later[i].Images, 0, 0));
        }
        foreach (var b in all.Concat(later)) b.Dispose();
    }

    [Fact]
    public void Producer_blends_real_images_across_resolutions_with_the_fade_alpha()
    {
        var data = new SyntheticFaceSet(20);
        var schedule = new ProgressiveSchedule { Phases = [new SchedulePhase(4, 8, 0, 4, 1e-3, 2), new SchedulePhase(8, 8, 1.0, 4, 1e-3, 2)] }.Validate();
        using var producer = new BatchProducer(data, schedule, seed: 3, startSample: 0, capacity: 1, heldOut: 4, mirror: false, background: false);
        using var batch = producer.Produce(12, schedule.Locate(12)); // 4 of 8 fade samples: α = 0.5
        Assert.Equal(0.5, batch.Alpha);
        // Rebuild the first image by hand: α·x₈ + (1−α)·nearest-up(x₄).
        int index = Enumerable.Range(0, 16).Single(i =>
        {
            var rgb = new byte[8 * 8 * 3];
            data.Read(i, 8, rgb);
            var rgb4 = new byte[4 * 4 * 3];
            data.Read(i, 4, rgb4);
            float expected = 0.5f * (rgb[0] / 127.5f - 1) + 0.5f * (rgb4[0] / 127.5f - 1);
            float expected2 = 0.5f * (rgb[(7 * 8 + 7) * 3 + 1] / 127.5f - 1) + 0.5f * (rgb4[(3 * 4 + 3) * 3 + 1] / 127.5f - 1);
            return Math.Abs(batch.Images[0, 0, 0, 0].item<float>() - expected) < 1e-6 && Math.Abs(batch.Images[0, 1, 7, 7].item<float>() - expected2) < 1e-6;
        });
        Assert.InRange(index, 0, 15); // one training image (not the 4 held out) matches
    }

    [Fact]
    public void Producer_errors_reach_the_trainer_thread()
    {
        var schedule = new ProgressiveSchedule { Phases = [new SchedulePhase(4, 100, 0, 4, 1e-3, 2)] }.Validate();
        using var producer = new BatchProducer(new FailingSet(), schedule, 1, 0, 2);
        var e = Assert.Throws<InvalidDataException>(() => { while (producer.Take(out _) is { } b) b.Dispose(); });
        Assert.Contains("image 7", e.Message);
    }

    private sealed class FailingSet : Automodulator.Abstractions.Data.IImageSet
    {
        public int Count => 10;
        public int MaxResolution => 4;
        public bool IsMirrorable => false;
        public void Read(int index, int resolution, Span<byte> rgbHwc)
        {
            if (index == 7) throw new InvalidDataException("image 7 is unreadable");
            rgbHwc.Fill(100);
        }
    }

    [Fact]
    public void Adam_with_beta1_zero_takes_a_first_step_of_lr_times_the_gradient_sign()
    {
        var p = new TorchSharp.Modules.Parameter(tensor(new float[] { 1f, -2f, 0.5f }));
        using var opt = new AdamOptimizer([("p", p)], 0.1, 0.0, 0.99, 1e-8);
        using (var loss = (p * tensor(new float[] { 3f, -0.5f, 0f })).sum()) loss.backward();
        opt.Step();
        // m = g, v = 0.01·g², v̂ = g² → step lr·g/(|g| + ε); a zero gradient does not move.
        Assert.Equal(new[] { 0.9f, -1.9f, 0.5f }, p.data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Null(p.grad);
        using (var loss = (p * tensor(new float[] { 1f, 1f, 1f })).sum()) loss.backward();
        opt.Step();
        // Second step: v = 0.99·0.01·9 + 0.01·1 = 0.0991 for p0; v̂ = v/(1 − 0.99²) = 0.0991/0.0199.
        double v0 = (0.99 * 0.01 * 9 + 0.01) / (1 - 0.99 * 0.99);
        Assert.Equal(0.9 - 0.1 / (Math.Sqrt(v0) + 1e-8), p.data<float>()[0], 5);
        var state = opt.StateTensors("adam.").ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Equal(2L, state["adam.p.step"].item<long>());
        Assert.DoesNotContain("adam.p.exp_avg", state.Keys);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float f) => 0;
    }
}
