using System.Text.Json.Nodes;

namespace Automodulator.Cli.Tests;

public sealed class EditCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-edit-").FullName;
    private static readonly string Photo = Path.Combine(AppContext.BaseDirectory, "fixtures", "astronaut.png");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Model()
    {
        Assert.Equal(0, AutomodRunner.Run("model", "init", "--out", _dir, "--preset", "tiny16", "--device", "cpu").ExitCode);
        return Path.Combine(_dir, "model.amod");
    }

    [Fact]
    public void Mix_writes_a_grid_and_a_json_record_and_skips_unreadable_photos()
    {
        var model = Model();
        var broken = Path.Combine(_dir, "broken.jpg");
        File.WriteAllBytes(broken, [0xff, 0xd8, 0xff, 0x00, 0x01]);
        var r = AutomodRunner.Run("edit", "mix", Photo, Photo, broken, "--checkpoint", model, "--out", _dir, "--set", "range=coarse");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("skipped", r.Stderr);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "mix.json")))!;
        Assert.Equal("mix", json["edit"]!.GetValue<string>());
        Assert.Equal(2, json["inputs"]!.AsArray().Count);
        Assert.Equal(broken, json["rejected"]![0]!["path"]!.GetValue<string>());
        Assert.Equal(3, json["grid"]!["rows"]!.GetValue<int>());
        Assert.Equal(64, json["model"]!["sha256"]!.GetValue<string>().Length);
        Assert.True(new FileInfo(Path.Combine(_dir, "mix.png")).Length > 100);
    }

    [Fact]
    public void Unknown_edit_lists_the_known_ones_including_plugins()
    {
        var r = AutomodRunner.Run("edit", "nope", "--checkpoint", Model(), "--plugins", SamplePlugins());
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("reconstruct", r.Stderr);
        Assert.Contains("colour-transfer", r.Stderr);
    }

    [Fact]
    public void Direction_then_attribute_edit_round_trip()
    {
        var model = Model();
        var direction = Path.Combine(_dir, "bright.json");
        var bright = Enumerable.Range(0, 4).Select(i => Write($"b{i}.png", 200 + i * 10)).ToArray();
        var dark = Enumerable.Range(0, 4).Select(i => Write($"d{i}.png", 20 + i * 10)).ToArray();
        var r = AutomodRunner.Run(["edit", "direction", "--checkpoint", model, "--name", "bright", "--out", direction, "--with", .. bright, "--without", .. dark]);
        Assert.Equal(0, r.ExitCode);
        var e = AutomodRunner.Run("edit", "attribute", Photo, "--checkpoint", model, "--out", _dir, "--set", $"direction={direction}", "--set", "strengths=0,1");
        Assert.Equal(0, e.ExitCode);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "attribute.json")))!;
        Assert.Equal("bright", json["result"]!["direction"]!.GetValue<string>());
    }

    [Fact]
    public void Too_few_exemplars_for_a_direction_is_a_clear_error()
    {
        var model = Model();
        var three = Enumerable.Range(0, 3).Select(i => Write($"x{i}.png", i * 50)).ToArray();
        var r = AutomodRunner.Run(["edit", "direction", "--checkpoint", model, "--out", Path.Combine(_dir, "d.json"), "--with", .. three, "--without", .. three]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("at least 4", r.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "d.json")));
    }

    private static string SamplePlugins() => Automodulator.Tests.Shared.RepoPaths.SamplePlugins;

    private string Write(string name, int grey)
    {
        var img = new Data.Imaging.RgbImage(8, 8);
        Array.Fill(img.Pixels, (byte)grey);
        using var t = Data.Imaging.TensorImages.ToTensor([img]);
        var path = Path.Combine(_dir, name);
        Data.Imaging.ImageGrid.Save(t, 1, 1, path, minCell: 8);
        return path;
    }
}
