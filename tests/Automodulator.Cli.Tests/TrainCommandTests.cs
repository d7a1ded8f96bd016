namespace Automodulator.Cli.Tests;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Train_writes_a_run_folder_and_resume_finishes_it()
    {
        var run = Path.Combine(_dir, "run");
        string[] common = ["--device", "cpu", "--threads", "1"];
        var r = AutomodRunner.Run(["train", "--preset", "tiny16", "--schedule", "cpu-tiny16", "--samples-per-phase", "32", "--batch", "8",
            "--synthetic-count", "24", "--grid-every", "48", "--checkpoint-every", "48", "--out", run, "--max-iterations", "7",
            "--batch-shards", "2", .. common]);
        Assert.Equal(130, r.ExitCode); // stopped early, resumable
        Assert.Contains("resume with --resume", r.Stdout);
        Assert.Matches("\"BatchShards\":\\s*2", File.ReadAllText(Path.Combine(run, "options.json")));
        Assert.Equal(7, File.ReadAllLines(Path.Combine(run, "log.jsonl")).Length);
        Assert.Contains("checkpoint-000000000056.amod", Directory.GetFiles(Path.Combine(run, "checkpoints")).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(run, "grids", "recon-000000000048.png")));

        r = AutomodRunner.Run(["train", "--resume", run, .. common]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("resuming from checkpoint-000000000056.amod", r.Stdout);
        Assert.Equal(12, File.ReadAllLines(Path.Combine(run, "log.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(run, "model.amod")));
        Assert.True(File.Exists(Path.Combine(run, "grids", "mix-000000000096.png")));

        // The trained model samples like any other checkpoint (encoder + EMA decoder).
        var png = Path.Combine(_dir, "s.png");
        r = AutomodRunner.Run(["sample", "--checkpoint", Path.Combine(run, "model.amod"), "--count", "4", "--out", png, .. common]);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void Train_appends_a_plugin_level_on_a_base_model_and_info_shows_the_grown_model()
    {
        string[] common = ["--device", "cpu", "--threads", "1"];
        var init = AutomodRunner.Run(["model", "init", "--out", _dir, "--preset", "tiny16", .. common]);
        Assert.Equal(0, init.ExitCode);
        var baseModel = Path.Combine(_dir, "model.amod");
        var run = Path.Combine(_dir, "append");
        var r = AutomodRunner.Run(["train", "--base-model", baseModel, "--append-block", "modulated-residual", "--append-channels", "8",
            "--train-only", "plugins", "--plugins", Automodulator.Tests.Shared.RepoPaths.SamplePlugins, "--samples-per-phase", "8", "--batch", "4",
            "--synthetic-count", "14", "--out", run, .. common]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("appended 32x32 block (modulated-residual, fading in from 16×16)", r.Stdout);
        Assert.Contains("\"append-32\"", File.ReadAllText(Path.Combine(run, "options.json")));

        var info = AutomodRunner.Run("model", "info", "--checkpoint", Path.Combine(run, "model.amod"), "--plugins", Automodulator.Tests.Shared.RepoPaths.SamplePlugins);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("up to 32×32", info.Stdout);
        Assert.Contains("decoder channels (4×4 up): 16,16,16,8", info.Stdout);
        Assert.Contains("appended      32x32: modulated-residual from ModulatedResidual, grown from 16×16", info.Stdout);
        Assert.Contains("the base tensors are unchanged", info.Stdout);

        // Without the plugin the grown model names what is missing; without a base there is nothing to grow.
        var missing = AutomodRunner.Run("model", "info", "--checkpoint", Path.Combine(run, "model.amod"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("plugin 'ModulatedResidual'", missing.Stderr);
        var noBase = AutomodRunner.Run(["train", "--preset", "tiny16", "--append-block", "builtin", "--out", Path.Combine(_dir, "x"), .. common]);
        Assert.Equal(2, noBase.ExitCode);
        Assert.Contains("--base-model", noBase.Stderr);
    }

    [Fact]
    public void Train_refuses_a_folder_that_already_holds_a_run()
    {
        var run = Path.Combine(_dir, "busy");
        Directory.CreateDirectory(Path.Combine(run, "checkpoints"));
        File.WriteAllText(Path.Combine(run, "checkpoints", "checkpoint-000000000008.amod"), "x");
        var r = AutomodRunner.Run("train", "--preset", "tiny16", "--schedule", "cpu-tiny16", "--out", run, "--device", "cpu");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--resume", r.Stderr);
    }

    [Fact]
    public void Bench_train_reports_samples_per_second_data_wait_and_left_out_backwards()
    {
        var r = AutomodRunner.Run("bench", "train", "--preset", "tiny16", "--resolutions", "8,16", "--iterations", "2", "--batch", "4", "--device", "cpu", "--threads", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("KL margin 0.5", r.Stdout);
        Assert.Matches(@"16x16 \| [\d.]+ \| [\d.]+ \| [\d.]+ % \| [\d.]+ \| (0|50|100) %", r.Stdout);
    }

    [Fact]
    public void Bench_train_refuses_a_negative_shard_count_as_train_does()
    {
        var r = AutomodRunner.Run("bench", "train", "--preset", "tiny16", "--resolutions", "8", "--iterations", "1", "--batch-shards", "-1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("BatchShards (--batch-shards) must be in 0..64 (0: automatic); got -1.", r.Stderr);
        Assert.DoesNotContain("8x8 |", r.Stdout);
    }
}
