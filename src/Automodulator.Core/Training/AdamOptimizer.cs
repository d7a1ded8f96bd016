using Automodulator.Core.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// Adam (Kingma and Ba 2015) with PyTorch's exact update, over a named list of parameters, with its state as named
/// tensors so a checkpoint can hold it and a resume continues bit for bit:
/// v ← β2·v + (1−β2)·g², m ← β1·m + (1−β1)·g, p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
/// With the paper's β1 = 0 the first moment is the gradient itself, so no exp_avg is kept (or saved). Parameters
/// without a gradient in a step are skipped, their step counts unchanged.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private sealed class Slot(string name, Parameter parameter)
    {
        public string Name { get; } = name;
        public Parameter Parameter { get; } = parameter;
        public Tensor? ExpAvg;
        public Tensor? ExpAvgSq;
        public long Step;
    }

    private readonly List<Slot> _slots;
    private readonly BalancedParts<Slot> _parts;

    public AdamOptimizer(IEnumerable<(string Name, Parameter Parameter)> parameters, double learningRate, double beta1, double beta2, double epsilon)
    {
        _slots = parameters.Select(p => new Slot(p.Name, p.Parameter)).ToList();
        _parts = new BalancedParts<Slot>(_slots, s => s.Parameter.NumberOfElements);
        if (_slots.Select(s => s.Name).Distinct().Count() != _slots.Count) throw new ArgumentException("Parameter names must be unique.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }

    public IEnumerable<Parameter> Parameters => _slots.Select(s => s.Parameter);

    /// <summary>True when it optimises nothing (a frozen network).</summary>
    public bool IsEmpty => _slots.Count == 0;

    /// <summary>Turns gradient tracking of every parameter on or off (which network a step trains).</summary>
    public void SetRequiresGrad(bool on)
    {
        foreach (var s in _slots) s.Parameter.requires_grad = on;
    }

    /// <summary>Applies one update from the accumulated gradients, then clears them.</summary>
    public void Step() => Step(0, 1);

    /// <summary>
    /// The update of part <paramref name="part"/> of <paramref name="parts"/> (a fixed split of the parameters with
    /// about equal numbers of elements), then clears those gradients: the parts may run on different threads at once,
    /// and together they are exactly <see cref="Step()"/>.
    /// </summary>
    public void Step(int part, int parts)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        // Scalars held past the native calls (see Layers/HeldScalar).
        using var beta1 = Beta1.ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        foreach (var s in _parts.Part(part, parts))
        {
            var g = s.Parameter.grad;
            if (g is null) continue;
            s.Step++;
            if (s.ExpAvgSq is null) s.ExpAvgSq = zeros_like(s.Parameter).DetachFromDisposeScope();
            s.ExpAvgSq.mul_(beta2).addcmul_(g, g, oneMinusBeta2);
            Tensor m = g;
            if (Beta1 > 0)
            {
                if (s.ExpAvg is null) s.ExpAvg = zeros_like(s.Parameter).DetachFromDisposeScope();
                s.ExpAvg.mul_(beta1).add_(g, oneMinusBeta1);
                m = s.ExpAvg;
            }
            double bc1 = 1 - Math.Pow(Beta1, s.Step);
            double bc2 = 1 - Math.Pow(Beta2, s.Step);
            using var sqrtBc2 = Math.Sqrt(bc2).ToScalar();
            using var stepSize = (-LearningRate / bc1).ToScalar();
            var denom = s.ExpAvgSq.sqrt().div_(sqrtBc2).add_(epsilon);
            s.Parameter.addcdiv_(m, denom, stepSize);
            s.Parameter.grad = null;
        }
    }

    /// <summary>Drops the gradients (set to none, so the next backward allocates fresh ones and nothing is summed into stale values).</summary>
    public void ZeroGrad()
    {
        foreach (var s in _slots) s.Parameter.grad = null;
    }

    /// <summary>State as named tensors: {prefix}{param}.exp_avg_sq, .exp_avg (β1 &gt; 0 only) and .step.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateTensors(string prefix)
    {
        foreach (var s in _slots)
        {
            if (s.Step == 0) continue;
            yield return ($"{prefix}{s.Name}.step", tensor(s.Step));
            yield return ($"{prefix}{s.Name}.exp_avg_sq", s.ExpAvgSq!);
            if (s.ExpAvg is not null) yield return ($"{prefix}{s.Name}.exp_avg", s.ExpAvg);
        }
    }

    /// <summary>Restores the state written by <see cref="StateTensors"/>; parameters absent from it start fresh.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, string prefix, string path)
    {
        foreach (var s in _slots)
        {
            s.ExpAvg?.Dispose();
            s.ExpAvgSq?.Dispose();
            s.ExpAvg = s.ExpAvgSq = null;
            s.Step = 0;
            if (!tensors.TryGetValue($"{prefix}{s.Name}.step", out var step)) continue;
            s.Step = step.item<long>();
            s.ExpAvgSq = Take(tensors, $"{prefix}{s.Name}.exp_avg_sq", s, path);
            if (Beta1 > 0) s.ExpAvg = Take(tensors, $"{prefix}{s.Name}.exp_avg", s, path);
        }
    }

    private static Tensor Take(IReadOnlyDictionary<string, Tensor> tensors, string name, Slot s, string path)
    {
        if (!tensors.TryGetValue(name, out var t))
            throw new CheckpointException(path, $"the optimiser state lacks '{name}'.");
        if (!t.shape.SequenceEqual(s.Parameter.shape))
            throw new CheckpointException(path, $"optimiser tensor '{name}' has shape [{string.Join(", ", t.shape)}], the parameter [{string.Join(", ", s.Parameter.shape)}].");
        return t.to(s.Parameter.dtype, s.Parameter.device).clone().DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var s in _slots)
        {
            s.ExpAvg?.Dispose();
            s.ExpAvgSq?.Dispose();
        }
    }
}
