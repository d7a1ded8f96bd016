using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>Linear map with the equalised learning rate (stored N(0, 1) weights scaled by gain/√fan_in at run time).</summary>
public sealed class EqualizedLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Scalar _scale;  // held: see HeldScalar

    public EqualizedLinear(string name, int inFeatures, int outFeatures, double gain = 1.0, Tensor? biasInit = null) : base(name)
    {
        weight = new Parameter(randn(outFeatures, inFeatures));
        bias = new Parameter(biasInit is null ? zeros(outFeatures) : biasInit.clone());
        WeightScale = gain / Math.Sqrt(inFeatures);
        _scale = WeightScale.ToScalar();
        RegisterComponents();
    }

    public double WeightScale { get; }

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight.mul(_scale), bias);
}
