using Automodulator.Abstractions;
using Automodulator.Core.Model;
using static TorchSharp.torch;

namespace Automodulator.Tests.Shared;

/// <summary>Helpers for tests that compare model states and outputs (linked into the Core and Hosting tests).</summary>
internal static class ModelTestSupport
{
    /// <summary>True when both tensors have the same shape and every element is equal (bit-identical for floats but NaN).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }

    /// <summary>The decoder's image of <paramref name="z"/> on every layer, in evaluation mode with layer noise off.</summary>
    public static Tensor Decode(AutomodulatorNetwork net, Tensor z, int resolution, double alpha = 1.0)
    {
        net.eval();
        net.Decoder.NoiseEnabled = false;
        return net.Decoder.call(LayerLatents.Uniform(z, net.Decoder.LayerCountUpTo(resolution)), new DecodeSpec(resolution, alpha));
    }

    /// <summary>A detached CPU copy of a state dictionary that outlives any dispose scope (dispose its tensors when done).</summary>
    public static Dictionary<string, Tensor> Snapshot(IEnumerable<KeyValuePair<string, Tensor>> state) =>
        state.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone().DetachFromDisposeScope());
}
