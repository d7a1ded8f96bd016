using Automodulator.Abstractions;
using Automodulator.Hosting.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Tests.Evaluation;

public class MixingScoreTests
{
    private static int[] Layers(int top) =>
        Enumerable.Range(0, (int)Math.Log2(top) - 1).SelectMany(l => new[] { 4 << l, 4 << l }).ToArray();

    [Fact]
    public void Factor_scales_map_to_the_paper_ranges_and_shrink_on_small_models()
    {
        Assert.Equal([0, 1, 2, 3], MixingScore.LayersOf(FactorScale.Coarse, Layers(256)));
        Assert.Equal([4, 5, 6, 7], MixingScore.LayersOf(FactorScale.Intermediate, Layers(256)));
        Assert.Equal([8, 9, 10, 11, 12, 13], MixingScore.LayersOf(FactorScale.Fine, Layers(256)));
        Assert.Equal([4, 5], MixingScore.LayersOf(FactorScale.Intermediate, Layers(32)));
        Assert.Equal([6, 7], MixingScore.LayersOf(FactorScale.Fine, Layers(32)));
        Assert.Empty(MixingScore.LayersOf(FactorScale.Intermediate, Layers(16)));
        Assert.Equal([4, 5], MixingScore.LayersOf(FactorScale.Fine, Layers(16)));
        Assert.Empty(MixingScore.LayersOf(FactorScale.Fine, Layers(8)));
    }

    /// <summary>
    /// A perfect autoencoder that decodes the image whose id the chosen layer's latent carries: reconstruction is
    /// exact, and a mix shows exactly the source that drives <paramref name="decisiveLayer"/>.
    /// </summary>
    private sealed class LookupModel(int decisiveLayer) : IAutomodulator
    {
        private readonly List<Tensor> _images = [];
        public int Resolution => 32;
        public int LatentDim => 1;
        public IReadOnlyList<int> LayerResolutions { get; } = Layers(32);
        public Device Device => CPU;

        public Tensor Encode(Tensor images)
        {
            var ids = new float[images.shape[0]];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = _images.Count;
                _images.Add(images[i].clone().DetachFromDisposeScope());
            }
            return tensor(ids).reshape(-1, 1);
        }

        public Tensor Decode(LayerLatents latents) =>
            stack(latents[decisiveLayer].data<float>().Select(id => _images[(int)id]).ToArray());
    }

    [Fact]
    public void A_mix_that_shows_B_scores_as_keep_B_and_one_that_shows_A_as_take_A()
    {
        // The last layer decides: coarse mixes (layers 1-4 from A) show B; fine mixes (layers 7-8 from A) show A.
        var report = MixingScore.Measure(new LookupModel(decisiveLayer: 7), pairs: 6, seed: 1, batch: 4);
        Assert.Equal(0.0, report.ReconstructionError, 6);
        var coarse = report.Scales.Single(s => s.Scale == FactorScale.Coarse);
        var fine = report.Scales.Single(s => s.Scale == FactorScale.Fine);
        Assert.Equal(coarse.KeepBError, coarse.MixError, 6);
        Assert.Equal(fine.TakeAError, fine.MixError, 6);
        Assert.Equal([1, 2, 3, 4], coarse.Layers);
        // Moving the pose and background away from B is a large change; the baselines must see it.
        Assert.True(coarse.KeepBError > 5, $"keep-B error {coarse.KeepBError}");
        Assert.True(coarse.TakeAError > 5, $"take-A error {coarse.TakeAError}");
        Assert.Equal(3, report.Scales.Count);
    }

    [Fact]
    public void The_measurement_is_deterministic_for_a_seed()
    {
        var r1 = MixingScore.Measure(new LookupModel(0), pairs: 3, seed: 7);
        var r2 = MixingScore.Measure(new LookupModel(0), pairs: 3, seed: 7);
        Assert.Equal(r1.Scales.Select(s => s.KeepBError), r2.Scales.Select(s => s.KeepBError));
        var r3 = MixingScore.Measure(new LookupModel(0), pairs: 3, seed: 8);
        Assert.NotEqual(r1.Scales[0].KeepBError, r3.Scales[0].KeepBError);
    }
}
