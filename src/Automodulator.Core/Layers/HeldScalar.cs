using TorchSharp;

namespace Automodulator.Core.Layers;

/// <summary>
/// Constant TorchSharp scalars held for the life of the process. An implicit conversion (x.mul(0.5), x * s,
/// leaky_relu(x, 0.2)) creates a finalizable <see cref="Scalar"/> that nothing references once its handle has been
/// read, so a garbage collection triggered by another thread during the native call can free it while libtorch
/// still reads it (TorchSharp 0.107 has no GC.KeepAlive there; dotnet/TorchSharp PRs #1434 and #1496). We saw this
/// twice as "Unknown scalar type" in about forty benchmark runs. Hot paths therefore pass scalars that stay
/// referenced: these constants, a module's own fields, or a `using` local that lives past the call.
/// </summary>
public static class HeldScalar
{
    public static readonly Scalar One = 1.0.ToScalar();

    /// <summary>The leaky ReLU slope of the paper's networks (0.2).</summary>
    public static readonly Scalar LeakySlope = 0.2.ToScalar();

    /// <summary>A held scalar for <paramref name="value"/>: the shared constant when it is one, else a new one the caller keeps.</summary>
    public static Scalar For(double value) => value == 0.2 ? LeakySlope : value == 1.0 ? One : value.ToScalar();
}
