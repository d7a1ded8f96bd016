using Automodulator.Abstractions;
using Automodulator.Data.Imaging;
using Automodulator.Data.Synthetic;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Evaluation;

/// <summary>Which synthetic-face factor scale a mix transfers.</summary>
public enum FactorScale
{
    Coarse,
    Intermediate,
    Fine,
}

/// <summary>The score of one scale: how close the decoded mix comes to the renderer's ground truth, and two baselines.</summary>
/// <param name="Scale">The factor scale taken from face A (everything else from face B).</param>
/// <param name="Layers">The decoder layers (1-based) that read A's latent for this scale.</param>
/// <param name="MixError">Mean absolute error (8-bit levels) between θ(mix of φ(A), φ(B)) and render(mixed factors).</param>
/// <param name="KeepBError">Baseline: the same error for θ(φ(B)), i.e. a "mix" that transferred nothing.</param>
/// <param name="TakeAError">Baseline: the same error for θ(φ(A)), i.e. a "mix" that transferred everything.</param>
public sealed record ScaleScore(FactorScale Scale, IReadOnlyList<int> Layers, double MixError, double KeepBError, double TakeAError)
{
    /// <summary>
    /// MixError relative to the better baseline: below 1 means the mix is closer to the ground truth than either
    /// "do nothing" or "swap everything"; 0 would be a perfect, scale-specific mix.
    /// </summary>
    public double Relative => MixError / Math.Max(1e-9, Math.Min(KeepBError, TakeAError));
}

/// <summary>The whole measurement.</summary>
public sealed record MixingScoreReport(int Pairs, int Resolution, long Seed, double ReconstructionError, IReadOnlyList<ScaleScore> Scales);

/// <summary>
/// Ground-truth mixing score on synthetic faces, a measurement no reference implementation offers: the renderer knows
/// each face's factors per scale, so "A's coarse factors with B's intermediate and fine ones" has a true image.
/// For pairs (A, B) we decode φ(B) on every layer except the layers of one scale, which read φ(A), and compare with
/// the rendering of the mixed factors, next to the plain reconstruction error and two baselines (keep B, take A).
/// Factor scales map to decoder layers as in the paper (coarse 4–8, intermediate 16–32, fine ≥ 64); a model below
/// 64×64 has its top resolution as "fine" and what lies between as "intermediate" (see <see cref="LayersOf"/>).
/// </summary>
public static class MixingScore
{
    /// <summary>0-based decoder layers that carry a factor scale on a model with these layer resolutions.</summary>
    public static IReadOnlyList<int> LayersOf(FactorScale scale, IReadOnlyList<int> layerResolutions)
    {
        int top = layerResolutions.Max();
        bool small = top < 64;
        if (small && top < 16 && scale != FactorScale.Coarse) return [];
        var range = scale switch
        {
            FactorScale.Coarse => LayerRange.Resolutions(4, 8),
            FactorScale.Intermediate => small ? LayerRange.Resolutions(16, Math.Max(16, top / 2)) : LayerRange.Resolutions(16, 32),
            _ => small ? LayerRange.Resolutions(Math.Max(16, top), top) : LayerRange.Resolutions(64, int.MaxValue),
        };
        var layers = range.Resolve(layerResolutions);
        // A 16×16 model has no room for an intermediate scale distinct from fine.
        return scale == FactorScale.Intermediate && small && top <= 16 ? [] : layers;
    }

    /// <summary>Runs the measurement on <paramref name="pairs"/> seeded face pairs. Call with the model in eval mode.</summary>
    public static MixingScoreReport Measure(IAutomodulator model, int pairs, long seed, int batch = 16)
    {
        if (pairs < 1) throw new ArgumentException("pairs must be at least 1.");
        int res = model.Resolution, total = model.LayerResolutions.Count;
        var scales = Enum.GetValues<FactorScale>().Select(s => (Scale: s, Layers: LayersOf(s, model.LayerResolutions)))
            .Where(s => s.Layers.Count > 0).ToArray();
        double recon = 0;
        var mix = new double[scales.Length];
        var keepB = new double[scales.Length];
        var takeA = new double[scales.Length];
        using var _ = no_grad();
        for (int start = 0; start < pairs; start += batch)
        {
            int n = Math.Min(batch, pairs - start);
            var a = Enumerable.Range(start, n).Select(i => FaceFactors.Sample(Seed(seed, i, 0))).ToArray();
            var b = Enumerable.Range(start, n).Select(i => FaceFactors.Sample(Seed(seed, i, 1))).ToArray();
            using var scope = NewDisposeScope();
            var xa = Render(a, res, model.Device);
            var xb = Render(b, res, model.Device);
            var za = model.Encode(xa);
            var zb = model.Encode(xb);
            var ra = model.Decode(LayerLatents.Uniform(za, total));
            var rb = model.Decode(LayerLatents.Uniform(zb, total));
            recon += (Mae(ra, xa) + Mae(rb, xb)) / 2 * n;
            for (int s = 0; s < scales.Length; s++)
            {
                var truth = Render(a.Zip(b, (fa, fb) => Mixed(scales[s].Scale, fa, fb)).ToArray(), res, model.Device);
                var decoded = model.Decode(LayerLatents.Uniform(zb, total).With(scales[s].Layers, za));
                mix[s] += Mae(decoded, truth) * n;
                keepB[s] += Mae(rb, truth) * n;
                takeA[s] += Mae(ra, truth) * n;
            }
        }
        return new MixingScoreReport(pairs, res, seed, recon / pairs,
            scales.Select((s, i) => new ScaleScore(s.Scale, s.Layers.Select(l => l + 1).ToArray(), mix[i] / pairs, keepB[i] / pairs, takeA[i] / pairs)).ToArray());
    }

    /// <summary>B's factors with A's at <paramref name="scale"/>.</summary>
    public static FaceFactors Mixed(FactorScale scale, FaceFactors a, FaceFactors b) => scale switch
    {
        FactorScale.Coarse => FaceFactors.Mix(a, b, b),
        FactorScale.Intermediate => FaceFactors.Mix(b, a, b),
        _ => FaceFactors.Mix(b, b, a),
    };

    private static ulong Seed(long seed, int pair, int side) => unchecked((ulong)seed * 1_000_003UL + (ulong)pair * 2UL + (ulong)side + 0x9E3779B97F4A7C15UL);

    private static Tensor Render(IReadOnlyList<FaceFactors> faces, int res, Device device)
    {
        var images = faces.Select(f => SyntheticFaceRenderer.Render(f, res)).ToArray();
        using var t = TensorImages.ToTensor(images);
        return t.to(device);
    }

    /// <summary>Mean absolute error in 8-bit levels between two [-1, 1] batches.</summary>
    private static double Mae(Tensor x, Tensor y)
    {
        using var d = (x - y).abs().mean();
        return d.item<float>() * 127.5;
    }
}
