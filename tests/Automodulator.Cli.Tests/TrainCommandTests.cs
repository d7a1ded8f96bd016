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
            "--synthetic-count", "24", "--grid-every", "48", "--checkpoint-every", "48", "--out", run, "--max-iterations", "7", .. common]);
        Assert.Equal(130, r.ExitCode); // stopped early, resumable
        Assert.Contains("resume with --resume", r.Stdout);
        Assert.True(File.Exists(Path.Combine(run, "options.json")));
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
    public void Bench_train_reports_samples_per_second_and_data_wait()
    {
        var r = AutomodRunner.Run("bench", "train", "--preset", "tiny16", "--resolutions", "8,16", "--iterations", "2", "--batch", "4", "--device", "cpu", "--threads", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"16x16 \| [\d.]+ \| [\d.]+ \| [\d.]+ %", r.Stdout);
    }
}
