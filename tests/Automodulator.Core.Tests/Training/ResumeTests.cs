using System.Text.Json.Nodes;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Training;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

[Collection("Training")]
public sealed class ResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<double[]> Run(Trainer trainer, IEnumerable<TrainingBatch> batches, int count)
    {
        var losses = new List<double[]>();
        foreach (var batch in batches.Take(count))
        {
            using (batch)
            using (var r = trainer.Step(batch))
                losses.Add(r.Read().Values.ToArray());
        }
        return losses;
    }

    private static Dictionary<string, Tensor> State(Trainer t)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, v) in t.Network.state_dict()) d[k] = v.detach().clone();
        foreach (var (k, v) in t.EmaDecoder.state_dict()) d["ema." + k] = v.detach().clone();
        if (t.Robust is not null) foreach (var (k, v) in t.Robust.state_dict()) d["robust." + k] = v.detach().clone();
        return d;
    }

    [Theory]
    [InlineData("robust", 1)]
    [InlineData("l1", 1)]
    [InlineData("robust", 2)]
    public void Resuming_from_a_checkpoint_repeats_an_unbroken_run_exactly(string distance, int batchShards)
    {
        // 12 + 12 iterations cross the 4×4 → 8×8 phase change (64 samples per phase, batch 8) and its fade-in.
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny(seed: 5, distance: distance) with { BatchShards = batchShards };
        List<double[]> unbroken;
        Dictionary<string, Tensor> unbrokenState;
        using (var t = Trainer.Create(options))
        {
            unbroken = Run(t, TrainingFixtures.Batches(options, data), 24);
            unbrokenState = State(t);
        }

        var path = Path.Combine(_dir, "resume.amod");
        List<double[]> first;
        using (var t = Trainer.Create(options))
        {
            first = Run(t, TrainingFixtures.Batches(options, data), 12);
            TrainingCheckpoint.Save(t, path);
        } // "killed": nothing of the first trainer survives but the file.
        List<double[]> second;
        using (var resumed = TrainingCheckpoint.Resume(path))
        {
            Assert.Equal(96, resumed.SampleCount);
            Assert.Equal(12, resumed.Iteration);
            second = Run(resumed, TrainingFixtures.Batches(options, data, start: resumed.SampleCount), 12);
            // Weights, EMA decoder (not reset on resume), robust-loss maps and spectral-norm vectors all match too.
            var state = State(resumed);
            Assert.Equal(unbrokenState.Keys.Order(), state.Keys.Order());
            foreach (var (name, value) in unbrokenState)
                Assert.True(value.allclose(state[name], 0, 0), $"{name} differs after resume");
        }
        var joined = first.Concat(second).ToList();
        Assert.Equal(unbroken.Count, joined.Count);
        for (int i = 0; i < unbroken.Count; i++) Assert.Equal(unbroken[i], joined[i]);
    }

    [Fact]
    public void A_training_run_stopped_and_resumed_writes_the_same_log_as_an_unbroken_one()
    {
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny(seed: 9, samplesPerPhase: 32) with { CheckpointEverySamples = 40 };
        var unbrokenDir = Path.Combine(_dir, "unbroken");
        using (var run = TrainingRun.Start(unbrokenDir, options, data)) Assert.Equal(RunOutcome.Finished, run.Run());

        var brokenDir = Path.Combine(_dir, "broken");
        using (var run = TrainingRun.Start(brokenDir, options, data)) Assert.Equal(RunOutcome.Interrupted, run.Run(maxIterations: 7));
        // What a kill during a checkpoint write leaves behind: a temporary file, never loaded, removed on resume.
        var leftover = Path.Combine(brokenDir, "checkpoints", "checkpoint-000000000064.amod.4242.tmp");
        File.WriteAllText(leftover, "partial");
        using (var run = TrainingRun.Resume(brokenDir, data)) Assert.Equal(RunOutcome.Finished, run.Run());

        var a = File.ReadAllLines(Path.Combine(unbrokenDir, "log.jsonl"));
        var b = File.ReadAllLines(Path.Combine(brokenDir, "log.jsonl"));
        Assert.Equal(12, a.Length);
        Assert.Equal(a, b);
        Assert.True(File.Exists(Path.Combine(brokenDir, "model.amod")));
        Assert.False(File.Exists(leftover));
        using var model = ModelCheckpoint.Load(Path.Combine(brokenDir, "model.amod"));
        Assert.Equal(16, model.Config.LatentDim);
    }

    [Fact]
    public void An_interrupted_checkpoint_write_leaves_the_previous_checkpoint_loadable()
    {
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny();
        using var trainer = Trainer.Create(options);
        Run(trainer, TrainingFixtures.Batches(options, data), 2);
        var path = Path.Combine(_dir, "checkpoint.amod");
        TrainingCheckpoint.Save(trainer, path);
        var good = File.ReadAllBytes(path);

        // A write that dies half-way through (here: while producing its tensors) must not touch the file.
        IEnumerable<(string, Tensor)> Dying()
        {
            yield return ("encoder.x", zeros(1000));
            throw new IOException("simulated kill during the write");
        }
        Assert.Throws<IOException>(() => CheckpointFile.Write(path, TrainingCheckpoint.Kind, new JsonObject(), Dying()));
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        using (var resumed = TrainingCheckpoint.Resume(path)) Assert.Equal(16, resumed.SampleCount);

        // A newer checkpoint cut short by a kill (e.g. a copy that stopped) is skipped for the older intact one.
        var folder = new RunFolder(Path.Combine(_dir, "run"));
        Directory.CreateDirectory(folder.CheckpointFolder);
        File.Copy(path, folder.CheckpointPath(16));
        File.WriteAllBytes(folder.CheckpointPath(32), good[..(good.Length / 2)]);
        var skipped = new List<string>();
        Assert.Equal(folder.CheckpointPath(16), folder.LatestLoadableCheckpoint(skipped.Add));
        Assert.Single(skipped);
        Assert.Contains("truncated", skipped[0]);
    }

    [Fact]
    public void Checkpoints_beyond_the_newest_k_are_deleted()
    {
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny(samplesPerPhase: 32) with { CheckpointEverySamples = 16, KeepCheckpoints = 2 };
        using var run = TrainingRun.Start(Path.Combine(_dir, "keep"), options, data);
        run.Run();
        var names = run.Folder.Checkpoints().Select(f => Path.GetFileName(f)).ToArray();
        Assert.Equal(new[] { "checkpoint-000000000096.amod", "checkpoint-000000000080.amod" }, names);
    }
}
