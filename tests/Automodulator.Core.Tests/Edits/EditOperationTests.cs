using Automodulator.Abstractions;
using Automodulator.Core.Edits;
using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Edits;

public sealed class EditOperationTests : IDisposable
{
    private readonly AutomodulatorNetwork _net = AutomodulatorNetwork.Create(TestConfigs.Tiny(16, channels: 8, latent: 16), seed: 31);
    private readonly IAutomodulator _model;
    private readonly IDisposable _noGrad = no_grad();

    public EditOperationTests() => _model = _net.AsAutomodulator(16, CPU);

    public void Dispose()
    {
        _noGrad.Dispose();
        _net.Dispose();
    }

    private static Tensor Images(int n, int seed) => rand([n, 3, 16, 16], generator: new Generator((ulong)seed)) * 2 - 1;

    private Tensor Reconstruct(Tensor images) =>
        _model.Decode(LayerLatents.Uniform(_model.Encode(images), _model.LayerResolutions.Count));

    [Fact]
    public void Reconstruct_shows_inputs_over_reconstructions()
    {
        using var scope = NewDisposeScope();
        var x = Images(3, 1);
        var r = new ReconstructEdit().Run(_model, new EditRequest { Images = x });
        Assert.Equal((2, 3), (r.Rows, r.Columns));
        Assert.Equal(new long[] { 6, 3, 16, 16 }, r.Images.shape);
        Assert.True(r.Images[..3].eq(x).all().item<bool>());
        Assert.True(r.Images[3..].eq(Reconstruct(x)).all().item<bool>());
    }

    [Fact]
    public void Mix_grid_has_sources_on_the_borders_and_reconstructions_on_the_diagonal()
    {
        using var scope = NewDisposeScope();
        var x = Images(3, 2);
        var r = new StyleMixEdit().Run(_model, new EditRequest { Images = x, Options = new Dictionary<string, string> { ["range"] = "coarse" } });
        Assert.Equal((4, 4), (r.Rows, r.Columns));
        Assert.Equal(new long[] { 16, 3, 16, 16 }, r.Images.shape);
        var recon = Reconstruct(x);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(r.Images[1 + i].eq(x[i]).all().item<bool>(), "top row holds the column sources");
            Assert.True(r.Images[(i + 1) * 4].eq(x[i]).all().item<bool>(), "left column holds the row sources");
            Assert.True(r.Images[(i + 1) * 4 + 1 + i].allclose(recon[i], rtol: 0, atol: 1e-5), $"diagonal cell {i} is not the reconstruction");
        }
        Assert.False(r.Images[4 + 2].allclose(recon[0], rtol: 0, atol: 1e-3), "an off-diagonal cell ignored its column source");
    }

    [Fact]
    public void Mix_with_identical_sources_equals_the_reconstruction()
    {
        using var scope = NewDisposeScope();
        var x = Images(1, 3).expand(2, -1, -1, -1).contiguous();
        var r = new StyleMixEdit().Run(_model, new EditRequest { Images = x, Options = new Dictionary<string, string> { ["range"] = "layers:2-5" } });
        var recon = Reconstruct(x[..1]);
        foreach (var cell in new[] { 4, 5, 7, 8 }.Select(i => r.Images[i]))
            Assert.True(cell.allclose(recon[0], rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Attribute_edit_with_strength_0_is_the_identity_and_other_strengths_change_only_their_layers()
    {
        using var scope = NewDisposeScope();
        var x = Images(2, 4);
        var direction = AttributeDirection.FromExemplars(_model, "test", Images(4, 5), Images(4, 6));
        var edit = new AttributeEdit { Direction = direction };
        var r = edit.Run(_model, new EditRequest { Images = x, Options = new Dictionary<string, string> { ["strengths"] = "0,3", ["range"] = "intermediate" } });
        Assert.Equal((2, 2), (r.Rows, r.Columns));
        var recon = Reconstruct(x);
        Assert.True(r.Images[0].allclose(recon[0], rtol: 0, atol: 1e-5));
        Assert.True(r.Images[2].allclose(recon[1], rtol: 0, atol: 1e-5));
        Assert.False(r.Images[1].allclose(recon[0], rtol: 0, atol: 1e-4));

        var z = _model.Encode(x[..1]);
        var a = AttributeEdit.Assignment(z, direction.ToTensor(CPU).unsqueeze(0), 3.0, [4, 5], 6);
        for (int l = 0; l < 6; l++) Assert.Equal(l >= 4, !ReferenceEquals(a[l], z));
        var identity = AttributeEdit.Assignment(z, direction.ToTensor(CPU).unsqueeze(0), 0.0, [0, 1, 2, 3, 4, 5], 6);
        for (int l = 0; l < 6; l++) Assert.Same(z, identity[l]);
    }

    [Fact]
    public void Attribute_direction_needs_four_exemplars_each_and_survives_a_file_round_trip()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => AttributeDirection.FromExemplars(_model, "x", Images(3, 1), Images(4, 2)));
        Assert.Contains("at least 4", ex.Message);
        var d = AttributeDirection.FromExemplars(_model, "smile", Images(4, 1), Images(4, 2));
        var path = Path.Combine(Path.GetTempPath(), $"dir-{Guid.NewGuid():N}.json");
        d.Save(path);
        var back = AttributeDirection.Load(path);
        File.Delete(path);
        Assert.Equal(d.Vector, back.Vector);
        Assert.Equal("smile", back.Name);
    }

    [Fact]
    public void Conditional_sample_keeps_the_input_latent_on_the_fixed_layers()
    {
        using var scope = NewDisposeScope();
        var z = _model.Encode(Images(1, 7));
        var random = EditInputsRandom(1);
        var keep = LayerRange.Coarse.Resolve(_model.LayerResolutions);
        var a = ConditionalSampleEdit.Assignment(z, random, keep, _model.LayerResolutions.Count);
        for (int l = 0; l < a.Count; l++)
            Assert.Same(keep.Contains(l) ? z : random, a[l]);

        var r = new ConditionalSampleEdit().Run(_model, new EditRequest { Images = Images(2, 8), Seed = 5, Options = new Dictionary<string, string> { ["samples"] = "3" } });
        Assert.Equal((2, 4), (r.Rows, r.Columns));
        Assert.Equal(new long[] { 8, 3, 16, 16 }, r.Images.shape);
        Assert.False(r.Images[1].allclose(r.Images[2], rtol: 0, atol: 1e-4), "samples should differ");
    }

    [Fact]
    public void Interpolation_starts_and_ends_at_the_inputs()
    {
        using var scope = NewDisposeScope();
        var x = Images(2, 9);
        var r = new InterpolateEdit().Run(_model, new EditRequest { Images = x, Options = new Dictionary<string, string> { ["steps"] = "5" } });
        Assert.Equal((1, 5), (r.Rows, r.Columns));
        var recon = Reconstruct(x);
        Assert.True(r.Images[0].allclose(recon[0], rtol: 0, atol: 1e-4));
        Assert.True(r.Images[4].allclose(recon[1], rtol: 0, atol: 1e-4));

        var grid = new InterpolateEdit().Run(_model, new EditRequest { Images = Images(4, 10), Options = new Dictionary<string, string> { ["steps"] = "3" } });
        Assert.Equal((3, 3), (grid.Rows, grid.Columns));
        Assert.Throws<ArgumentException>(() => new InterpolateEdit().Run(_model, new EditRequest { Images = Images(3, 1) }));
    }

    [Fact]
    public void Full_truncation_collapses_every_sample_to_the_mean_latent()
    {
        using var scope = NewDisposeScope();
        var inputs = Images(4, 11);
        var r = new RandomSampleEdit().Run(_model, new EditRequest { Images = inputs, Seed = 3, Options = new Dictionary<string, string> { ["count"] = "4", ["truncation"] = "0" } });
        Assert.Equal(new long[] { 4, 3, 16, 16 }, r.Images.shape);
        Assert.True(r.Images[0].allclose(r.Images[3], rtol: 0, atol: 1e-5));
        var free = new RandomSampleEdit().Run(_model, new EditRequest { Seed = 3, Options = new Dictionary<string, string> { ["count"] = "4" } });
        Assert.False(free.Images[0].allclose(free.Images[3], rtol: 0, atol: 1e-4));
    }

    private Tensor EditInputsRandom(int n) => nn.functional.normalize(randn(n, _model.LatentDim), dim: 1);
}
