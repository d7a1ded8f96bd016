namespace Automodulator.Cli.Tests;

public sealed class ModelCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Model_info_prints_per_block_parameter_counts_for_the_paper_preset()
    {
        var r = AutomodRunner.Run("model", "info", "--preset", "celebahq256");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("decoder.blocks.256x256", r.Stdout);
        Assert.Contains("encoder.blocks.4x4", r.Stdout);
        Assert.Contains("decoder channels (4×4 up): 512,512,512,512,256,128,64", r.Stdout);
        // 14 decoder layers, each AdaIN reading a style of width 2C (1024 for the 512-channel blocks).
        Assert.Contains("14 decoder layers", r.Stdout);
        Assert.Contains("1024,1024", r.Stdout);
        Assert.Matches(@"total\s+[\d,]{9,}", r.Stdout);
    }

    [Fact]
    public void Help_lists_the_commands()
    {
        var r = AutomodRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("model", r.Stdout);
        Assert.Contains("sample", r.Stdout);
        Assert.Contains("run", r.Stdout);
        Assert.Contains("edit", r.Stdout);
        Assert.Contains("train", r.Stdout);
    }

    [Fact]
    public void Sample_writes_a_png_grid_and_info_reads_the_checkpoint()
    {
        var png = Path.Combine(_dir, "s.png");
        var r = AutomodRunner.Run("sample", "--preset", "tiny16", "--count", "4", "--out", png, "--device", "cpu");
        Assert.Equal(0, r.ExitCode);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);

        var demo = AutomodRunner.Run("model", "init", "--out", _dir, "--preset", "tiny16", "--device", "cpu");
        Assert.Equal(0, demo.ExitCode);
        var info = AutomodRunner.Run("model", "info", "--checkpoint", Path.Combine(_dir, "model.amod"));
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("tiny16", info.Stdout);
    }

    [Fact]
    public void Cuda_on_a_machine_without_it_gives_a_clear_error()
    {
        var r = AutomodRunner.Run("sample", "--preset", "tiny16", "--device", "cuda", "--out", Path.Combine(_dir, "x.png"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("CUDA was requested", r.Stderr);
        Assert.Contains("--device cpu", r.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "x.png")));
    }

    [Fact]
    public void A_corrupt_checkpoint_gives_a_clear_error_not_a_stack_trace()
    {
        var bad = Path.Combine(_dir, "bad.amod");
        File.WriteAllBytes(bad, [1, 2, 3]);
        var r = AutomodRunner.Run("model", "info", "--checkpoint", bad);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not an automodulator checkpoint", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Unknown_preset_lists_the_known_ones()
    {
        var r = AutomodRunner.Run("model", "info", "--preset", "nope");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("celebahq256", r.Stderr);
    }
}
