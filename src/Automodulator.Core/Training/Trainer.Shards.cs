using Automodulator.Abstractions;
using Automodulator.Core.Layers;
using Automodulator.Core.Losses;
using Automodulator.Core.Model;
using Automodulator.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// The same iteration as <see cref="Run"/>'s unsplit path, with the batch split into shards that run side by side on
/// <see cref="ShardWorkers"/> (<see cref="TrainingOptions.BatchShards"/>).
/// <para>Each step has three phases: the shards' forward passes (in parallel); the loss terms on the whole batch, on
/// detached copies of the shards' outputs (on this thread: the KL terms need whole-batch statistics, and loss plugins
/// see the batch they always see); then each shard's backward pass from its outputs' gradients (in parallel), which
/// returns its parameter gradients instead of accumulating them; they are summed in shard order, so the result is
/// deterministic. Spectral-norm weights W/σ are computed once per step (one power iteration, as unsplit) and pinned
/// for the shards; their gradients come back through W/σ to W. The per-parameter work between the passes (W/σ, the
/// gradient sums, both Adam updates, the EMA) is split over the shard threads too, by parameter.</para>
/// <para>Randomness keeps the unsplit order: one j, all z in one draw, then each shard's z_B. Layer noise comes from
/// one generator per shard reseeded from (seed, iteration, shard). Mixed rows are the first rows of each shard; the
/// loss sees all mixed rows first, as <see cref="LossContext.MixedCount"/> requires.</para>
/// </summary>
public sealed partial class Trainer
{
    private ShardWorkers? _workers;
    private Generator[]? _shardGenerators;

    /// <summary>Shards for a batch of <paramref name="rows"/>: the option, at most one per two rows, 1 where splitting does not apply.</summary>
    internal int ShardsFor(int rows)
    {
        bool applies = Device.type == DeviceType.CPU && !Options.Objective.Invariance && Options.Objective.ShareSamples &&
                       !_encoderOptimizer.IsEmpty && !_decoderOptimizer.IsEmpty;
        return applies ? Math.Max(1, Math.Min(Options.BatchShards, rows / 2)) : 1;
    }

    /// <summary>Tensors alive on each shard thread between iterations (for leak tests); empty before the first split batch.</summary>
    internal long[] ShardLiveTensorCounts() => _workers?.LiveTensorCounts() ?? [];

    private sealed class Shard(int start, int count, int mixed, Tensor z, LayerLatents assignment)
    {
        public int Start { get; } = start;
        public int Count { get; } = count;
        public int Mixed { get; } = mixed;
        public Tensor Z { get; } = z;
        public LayerLatents Assignment { get; } = assignment;

        // Made by the shard's worker (owned by its scope).
        public Tensor Samples = null!;
        public Tensor? Canvas;
        public Tensor Latents = null!;
        public Tensor FakeLatents = null!;
        public Tensor Reconstruction = null!;
        public Tensor Back = null!;
        public Tensor? CanvasBack;
        public Tensor?[] Gradients = [];

        // Made on the trainer's thread: detached copies the loss is computed on, and their gradients.
        public Tensor LatentsLeaf = null!, FakeLatentsLeaf = null!, ReconstructionLeaf = null!, SamplesLeaf = null!, BackLeaf = null!;
        public Tensor? CanvasLeaf, CanvasBackLeaf;
        public Tensor? LatentsGrad, FakeLatentsGrad, ReconstructionGrad, SamplesGrad, BackGrad, CanvasGrad, CanvasBackGrad;
    }

    private void RunSharded(Tensor x, int res, double alpha, int shards, List<Tensor> values)
    {
        var objective = Options.Objective;
        int b = (int)x.shape[0];
        int layers = _network.Decoder.LayerCountUpTo(res);
        _workers ??= new ShardWorkers(Options.BatchShards);
        _shardGenerators ??= Enumerable.Range(0, Options.BatchShards).Select(_ => new Generator(0, Device)).ToArray();

        int j = MixLayer(layers, 1);
        var z = SampleLatents(b);
        var parts = new Shard[shards];
        for (int s = 0; s < shards; s++)
        {
            int start = s * b / shards, count = (s + 1) * b / shards - start;
            int m = MixCount(count, objective.DecoderMixShare, layers);
            var zs = z[start..(start + count)];
            var assignment = m == 0 ? LayerLatents.Uniform(zs, layers)
                : LayerLatents.Split(zs, m == count ? SampleLatents(m) : cat([SampleLatents(m), zs[m..]]), j, layers);
            parts[s] = new Shard(start, count, m, zs, assignment);
            _shardGenerators[s].manual_seed((long)(DeterministicRandom.Hash(Options.Seed, DeterministicRandom.Streams.ShardNoise, Iteration * 64 + s) >> 1));
        }

        // This thread's share (whole-batch losses, optimiser, EMA) is many small operations too: one intra-op thread
        // here as well while the shards are the parallelism (measured ≈ 5 % faster iterations than keeping two).
        int ownThreads = get_num_threads();
        IntraOpThreads.SetForCurrentThread(1);
        _workers.Begin();
        try
        {
            // x̂ = θ(z) with its graph: the decoder step's samples, and (detached) the encoder step's fakes.
            _encoderOptimizer.SetRequiresGrad(false);
            _decoderOptimizer.SetRequiresGrad(true);
            var spec = new DecodeSpec(res, alpha);
            OnShards(parts, p =>
            {
                if (p.Mixed == 0) p.Samples = _network.Decoder.call(p.Assignment, spec);
                else (p.Samples, p.Canvas) = _network.Decoder.DecodeWithCanvas(p.Assignment, spec, j, p.Mixed);
            });
            ShardedEncoderStep(x, res, alpha, layers, parts, values);
            ShardedDecoderStep(res, alpha, layers, j, parts, values);
            _encoderOptimizer.SetRequiresGrad(false);
            _decoderOptimizer.SetRequiresGrad(false);
            _workers.Run(shards, s => UpdateEma(s, shards));
        }
        finally
        {
            UnpinSpectralNorm();
            _workers.End();
            IntraOpThreads.SetForCurrentThread(ownThreads);
        }
    }

    /// <summary>Runs <paramref name="work"/> for every shard on its worker, with that shard's layer-noise generator.</summary>
    private void OnShards(Shard[] parts, Action<Shard> work) =>
        _workers!.Run(parts.Length, s =>
        {
            using var noise = LayerNoise.UseGenerator(_shardGenerators![s]);
            work(parts[s]);
        });

    private void ShardedEncoderStep(Tensor x, int res, double alpha, int layers, Shard[] parts, List<Tensor> values)
    {
        bool decoderLearns = Options.Objective.DecoderLearnsReconstruction;
        _encoderOptimizer.SetRequiresGrad(true);
        _decoderOptimizer.SetRequiresGrad(decoderLearns);
        var pins = PinSpectralNorm(res, parts.Length);
        var spec = new DecodeSpec(res, alpha);
        OnShards(parts, p =>
        {
            // Real and generated images in separate passes, as unsplit (the second one's backward may be left out).
            p.Latents = _network.Encoder.call(x[p.Start..(p.Start + p.Count)], alpha);
            p.FakeLatents = _network.Encoder.call(p.Samples.detach(), alpha);
            p.Reconstruction = _network.Decoder.call(LayerLatents.Uniform(p.Latents, layers), spec);
        });
        foreach (var p in parts)
        {
            p.LatentsLeaf = Leaf(p.Latents);
            p.FakeLatentsLeaf = Leaf(p.FakeLatents);
            p.ReconstructionLeaf = Leaf(p.Reconstruction);
        }
        var realLatents = cat(parts.Select(p => p.LatentsLeaf).ToArray());
        var fakeLatents = cat(parts.Select(p => p.FakeLatentsLeaf).ToArray());
        var context = new LossContext
        {
            Real = x, RealLatents = realLatents, Reconstruction = cat(parts.Select(p => p.ReconstructionLeaf).ToArray()),
            Samples = cat(parts.Select(p => p.Samples.detach()).ToArray()), SampleReencoded = fakeLatents, Resolution = res, Alpha = alpha,
        };
        var loss = Sum(_encoderTerms, context, values);
        loss.backward();
        // One decision for the whole batch: the KL term is clipped for the whole batch or not at all.
        var fakeGrads = parts.Select(p => p.FakeLatentsLeaf.grad).ToArray();
        bool fakesLearn = UnlessAllZero(fakeGrads.Any(g => g is null) ? null : cat(fakeGrads!)) is not null;
        foreach (var p in parts)
        {
            p.LatentsGrad = p.LatentsLeaf.grad;
            p.FakeLatentsGrad = fakesLearn ? p.FakeLatentsLeaf.grad : null;
            p.ReconstructionGrad = p.ReconstructionLeaf.grad;
        }

        // Parameters the shards return gradients for: the encoder's (W/σ in place of a pinned W), and the decoder's
        // when it learns from the reconstruction too.
        var pinnedWeights = pins.Select(p => (Tensor)p.Conv.Weight).ToHashSet(ReferenceEqualityComparer.Instance);
        // (The robust loss's α and scale are used on this thread only: loss.backward() above gave them their gradients.)
        var inputs = _network.Encoder.parameters().Where(w => w.requires_grad && !pinnedWeights.Contains(w)).Cast<Tensor>()
            .Concat(pins.Where(p => p.Leaf.requires_grad).Select(p => p.Leaf))
            .Concat(decoderLearns ? _decoderOptimizer.Parameters : []).ToList();
        OnShards(parts, p => p.Gradients = Gradients([(p.Latents, p.LatentsGrad), (p.FakeLatents, p.FakeLatentsGrad), (p.Reconstruction, p.ReconstructionGrad)], inputs,
            (TrainingStep.Encoder, res, alpha < 1, p.Mixed > 0)));
        var sums = SumOverShards(parts, inputs);
        BackpropagateThroughSigma(Enumerable.Range(0, inputs.Count).Where(k => inputs[k] is not Parameter)
            .Select(k => (pins.First(p => ReferenceEquals(p.Leaf, inputs[k])).Full, sums[k])));
        UnpinSpectralNorm();
        BeforeUpdate?.Invoke(TrainingStep.Encoder);
        _workers!.Run(parts.Length, s => _encoderOptimizer.Step(s, parts.Length));
        _decoderOptimizer.SetRequiresGrad(false);
        using (no_grad())
        {
            values.Add(loss.detach());
            values.Add(LatentStatistics.KlToStandardNormal(realLatents.detach()));
            values.Add(LatentStatistics.KlToStandardNormal(fakeLatents.detach()));
        }
    }

    private void ShardedDecoderStep(int res, double alpha, int layers, int j, Shard[] parts, List<Tensor> values)
    {
        _encoderOptimizer.SetRequiresGrad(false);
        _decoderOptimizer.SetRequiresGrad(true);
        PinSpectralNorm(res, parts.Length);
        var canvasSpec = new DecodeSpec(res, alpha, StopAfterLayer: j);
        OnShards(parts, p =>
        {
            p.Back = _network.Encoder.call(p.Samples, alpha);
            if (p.Mixed > 0) p.CanvasBack = _network.Decoder.call(LayerLatents.Uniform(p.Back[..p.Mixed], layers), canvasSpec);
        });
        UnpinSpectralNorm();
        foreach (var p in parts)
        {
            p.SamplesLeaf = Leaf(p.Samples);
            p.BackLeaf = Leaf(p.Back);
            p.CanvasLeaf = p.Canvas is null ? null : Leaf(p.Canvas);
            p.CanvasBackLeaf = p.CanvasBack is null ? null : Leaf(p.CanvasBack);
        }
        var mixed = parts.Where(p => p.Mixed > 0).ToArray();
        Tensor Rows(Func<Shard, Tensor> of) => MixedRowsFirst(parts.Select(of).ToArray(), parts.Select(p => p.Mixed).ToArray());
        var context = new LossContext
        {
            SampleLatents = Rows(p => p.Z), Samples = Rows(p => p.SamplesLeaf), SampleReencoded = Rows(p => p.BackLeaf),
            MixedCount = mixed.Sum(p => p.Mixed),
            MixedCanvas = mixed.Length == 0 ? null : cat(mixed.Select(p => p.CanvasLeaf!).ToArray()),
            MixedCanvasReencoded = mixed.Length == 0 ? null : cat(mixed.Select(p => p.CanvasBackLeaf!).ToArray()),
            Resolution = res, Alpha = alpha,
        };
        var loss = Sum(_decoderTerms, context, values);
        if (loss.requires_grad)
        {
            loss.backward();
            foreach (var p in parts)
            {
                p.SamplesGrad = p.SamplesLeaf.grad;
                p.BackGrad = p.BackLeaf.grad;
                p.CanvasGrad = p.CanvasLeaf?.grad;
                p.CanvasBackGrad = p.CanvasBackLeaf?.grad;
            }
            var inputs = _decoderOptimizer.Parameters.Cast<Tensor>().ToList();
            OnShards(parts, p => p.Gradients = Gradients(
                [(p.Samples, p.SamplesGrad), (p.Back, p.BackGrad), (p.Canvas, p.CanvasGrad), (p.CanvasBack, p.CanvasBackGrad)], inputs,
                (TrainingStep.Decoder, res, alpha < 1, p.Mixed > 0)));
            SumOverShards(parts, inputs);
            BeforeUpdate?.Invoke(TrainingStep.Decoder);
            _workers!.Run(parts.Length, s => _decoderOptimizer.Step(s, parts.Length));
        }
        values.Add(loss.detach());
    }

    /// <summary>
    /// The shards' rows as one batch with every shard's leading <paramref name="mixed"/> rows first (in shard order),
    /// then the rest: the layout <see cref="LossContext.MixedCount"/> describes.
    /// </summary>
    internal static Tensor MixedRowsFirst(IReadOnlyList<Tensor> shardRows, IReadOnlyList<int> mixed)
    {
        var pieces = new List<Tensor>();
        for (int s = 0; s < shardRows.Count; s++) if (mixed[s] > 0) pieces.Add(shardRows[s][..mixed[s]]);
        for (int s = 0; s < shardRows.Count; s++) if (mixed[s] < shardRows[s].shape[0]) pieces.Add(shardRows[s][mixed[s]..]);
        return cat(pieces.ToArray());
    }

    /// <summary>A detached copy that collects the loss's gradient for <paramref name="t"/> when t has a graph.</summary>
    private static Tensor Leaf(Tensor t) => t.detach().requires_grad_(t.requires_grad);

    /// <summary>
    /// W/σ of every spectral-norm conv a pass at <paramref name="res"/> runs, computed once (one power iteration) and
    /// pinned as a leaf for every pass until <see cref="UnpinSpectralNorm"/>: passes that back-propagate separately
    /// (shards, or the encoder step's real and generated images) share it, and W/σ's own backward runs once, in
    /// <see cref="BackpropagateThroughSigma"/>. The convs are independent: with several shards they are split over
    /// the shard threads.
    /// </summary>
    private List<(SpectralNormConv2d Conv, Tensor Full, Tensor Leaf)> PinSpectralNorm(int res, int shards)
    {
        var convs = _network.Encoder.SpectralNormConvsUpTo(res).ToArray();
        var pins = new (SpectralNormConv2d, Tensor, Tensor)[convs.Length];
        void Pin(int worker)
        {
            for (int k = worker; k < convs.Length; k += shards)
            {
                var full = convs[k].NormalizedWeight();
                var leaf = full.requires_grad ? full.detach().requires_grad_(true) : full;
                convs[k].Pin(leaf);
                pins[k] = (convs[k], full, leaf);
            }
        }
        if (shards == 1) Pin(0);
        else _workers!.Run(shards, Pin);
        return pins.ToList();
    }

    private void UnpinSpectralNorm()
    {
        foreach (var c in _network.Encoder.SpectralNormConvs) c.Unpin();
    }

    /// <summary>Back-propagates the gradients the pinned W/σ leaves collected (null: none) through W/σ to W, in one call.</summary>
    private static void BackpropagateThroughSigma(IEnumerable<(Tensor Full, Tensor? Grad)> pinned)
    {
        var reached = pinned.Where(p => p.Grad is not null).ToList();
        if (reached.Count > 0) autograd.backward(reached.Select(p => p.Full).ToList(), reached.Select(p => p.Grad!).ToList());
    }

    /// <summary>
    /// Parameters a shard's backward pass did not reach, per kind of pass (step, resolution, fading, mixed rows):
    /// not asked for again. (libtorch answers an unreached input with an undefined tensor, and TorchSharp counts the
    /// empty handle it wraps as live forever.)
    /// </summary>
    private readonly Dictionary<(TrainingStep, int, bool, bool), HashSet<Tensor>> _unreached = [];

    /// <summary>
    /// On a shard's thread: d(Σ outputs·grads)/d(inputs), without touching .grad; null for an input the outputs do not
    /// depend on.
    /// </summary>
    private Tensor?[] Gradients(IEnumerable<(Tensor? Output, Tensor? Grad)> pairs, IList<Tensor> inputs, (TrainingStep, int, bool, bool) pass)
    {
        var result = new Tensor?[inputs.Count];
        var used = pairs.Where(p => p.Output is not null && p.Grad is not null && p.Output.requires_grad).ToList();
        if (used.Count == 0) return result;
        HashSet<Tensor> unreached;
        lock (_unreached)
            if (!_unreached.TryGetValue(pass, out unreached!)) _unreached[pass] = unreached = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        int[] asked;
        lock (unreached) asked = Enumerable.Range(0, inputs.Count).Where(k => !unreached.Contains(inputs[k])).ToArray();
        var grads = autograd.grad(used.Select(p => p.Output!).ToList(), asked.Select(k => inputs[k]).ToList(), used.Select(p => p.Grad!).ToList(), allow_unused: true);
        for (int i = 0; i < asked.Length; i++)
        {
            if (!grads[i].IsInvalid) result[asked[i]] = grads[i];
            // Only parameters are remembered: the pinned W/σ copies are new every step (and always reached).
            else if (inputs[asked[i]] is Parameter) lock (unreached) unreached.Add(inputs[asked[i]]);
        }
        return result;
    }

    /// <summary>
    /// Per input, the shards' gradients summed in shard order (null where no shard reached it), added to the .grad of
    /// the inputs that are parameters. The inputs are split over the shard threads.
    /// </summary>
    private Tensor?[] SumOverShards(Shard[] parts, IList<Tensor> inputs)
    {
        var sums = new Tensor?[inputs.Count];
        _workers!.Run(parts.Length, worker =>
        {
            using var _ = no_grad();
            for (int k = worker; k < inputs.Count; k += parts.Length)
            {
                foreach (var p in parts)
                    if (p.Gradients.Length > 0 && p.Gradients[k] is { } g)
                        sums[k] = sums[k] is null ? g.detach() : sums[k]!.add(g);
                if (sums[k] is { } sum && inputs[k] is Parameter w) Accumulate(w, sum);
            }
        });
        return sums;
    }

    /// <summary>Adds <paramref name="g"/> to the parameter's gradient, as a backward pass would.</summary>
    private static void Accumulate(Parameter w, Tensor g)
    {
        var current = w.grad;
        if (current is null) w.grad = g;
        else current.add_(g);
    }
}
