using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;
using static TorchSharp.torch;

namespace TotalVariationLoss;

/// <summary>
/// Mean absolute difference between neighbouring pixels of the decoder's output: a smoothness prior. In the encoder
/// step it reads the reconstruction θ(φ(x)); in the decoder step, the random samples θ(z).
/// Options: step = encoder|decoder (default decoder).
/// </summary>
public sealed class TotalVariationTerm(TrainingStep step, double weight) : ILossTerm
{
    public string Name => "total_variation";
    public TrainingStep Step => step;
    public double Weight => weight;
    public LossInputs Reads => step == TrainingStep.Encoder ? LossInputs.Reconstruction : LossInputs.Samples;

    public Tensor Compute(LossContext context)
    {
        var x = (step == TrainingStep.Encoder ? context.Reconstruction : context.Samples)
                ?? throw new InvalidOperationException($"{Name} needs {Reads}, which this step did not compute.");
        return Of(x);
    }

    /// <summary>TV of a batch [B, C, H, W]: mean |x[h+1] − x[h]| + mean |x[w+1] − x[w]|.</summary>
    public static Tensor Of(Tensor x)
    {
        using var scope = NewDisposeScope();
        long h = x.shape[2], w = x.shape[3];
        var dy = (x[.., .., 1.., ..] - x[.., .., ..(int)(h - 1), ..]).abs().mean();
        var dx = (x[.., .., .., 1..] - x[.., .., .., ..(int)(w - 1)]).abs().mean();
        return (dx + dy).MoveToOuterDisposeScope();
    }
}

/// <summary>Registers the "total_variation" loss term.</summary>
public sealed class TotalVariationPlugin : IAutomodulatorPlugin
{
    public string Name => "TotalVariationLoss";
    public string Version => "1.0.0";
    public int ContractMajor => ContractVersion.Major;

    public void Register(IComponentRegistry registry) =>
        registry.AddLoss("total_variation", spec =>
        {
            var step = spec.Options.TryGetValue("step", out var s) && s.Equals("encoder", StringComparison.OrdinalIgnoreCase)
                ? TrainingStep.Encoder : TrainingStep.Decoder;
            return new TotalVariationTerm(step, spec.Weight);
        });
}
