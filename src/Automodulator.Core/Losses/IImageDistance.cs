using static TorchSharp.torch;

namespace Automodulator.Core.Losses;

/// <summary>d_X: a scalar distance between images [B, 3, R, R] (L1 or the robust loss d_ρ).</summary>
public interface IImageDistance
{
    string Name { get; }
    Tensor Distance(Tensor x, Tensor reconstruction);
}

/// <summary>d_X = mean absolute difference.</summary>
public sealed class L1Distance : IImageDistance
{
    public string Name => "l1";
    public Tensor Distance(Tensor x, Tensor reconstruction) => LatentStatistics.L1(x, reconstruction);
}

/// <summary>d_X = d_ρ, the robust loss's mean negative log-likelihood.</summary>
public sealed class RobustDistance(RobustLoss loss) : IImageDistance
{
    public RobustLoss Loss { get; } = loss;
    public string Name => "robust";
    public Tensor Distance(Tensor x, Tensor reconstruction) => Loss.Distance(x, reconstruction);
}
