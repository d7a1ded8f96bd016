using Automodulator.Abstractions;
using Automodulator.Core.Layers;
using Automodulator.Core.Losses;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// One automodulator training iteration at a time (paper Sec. 3, App. A): an encoder step, then a decoder step,
/// then the EMA of the decoder. Holds the networks, the robust loss, both Adam optimisers and the counters; a
/// <see cref="TrainingRun"/> feeds it batches and handles the run folder.
/// <para>Encoder step: L_φ = max(−M, KL(φ(x)) − KL(φ(x̂))) + λ_X·d_X(x, θ(φ(x))), x̂ = θ(z) without gradient, a share of
/// them mixed at a random layer j. Real and generated images go through the encoder as one batch (one pass, one
/// spectral-norm power iteration). Decoder weights are frozen (gradients flow through θ to φ only).</para>
/// <para>Decoder step: L_θ = KL(φ(x̂)) + λ_Z·d_cos(z, φ(x̂)) + L_j. The mixed rows' canvas θ_1:j(ξ⁰, z_A) is taken from
/// the same decode that makes x̂ (no second pass); θ_1:j(ξ⁰, φ(x̂_AB)) is a partial decode of the mixed rows only.
/// Encoder weights are frozen.</para>
/// <para>On a pretrained base (<see cref="TrainingOptions.BaseModel"/>) the base's tensors are copied in and, with
/// TrainOnly = "plugins", only what the run adds (inserted plugin blocks, an appended level) is optimised: the optimisers hold trainable parameters only, the
/// EMA averages only those (a frozen weight is never rewritten, not even by d·w + (1−d)·w), frozen spectral-norm convs
/// stay in evaluation mode (their u, v, σ buffers are not iterated), and a step whose loss reaches no trainable
/// parameter computes its values without an update (the encoder step of a frozen encoder runs under no_grad).</para>
/// Every random draw of iteration i comes from the trainer's own generator reseeded from (seed, i), so a resumed run
/// repeats an unbroken one exactly on the CPU, whatever other threads do with torch's default generator.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly AutomodulatorNetwork _network;
    private readonly Decoder _ema;
    private readonly RobustLoss? _robust;
    private readonly AdamOptimizer _encoderOptimizer;
    private readonly AdamOptimizer _decoderOptimizer;
    private readonly List<(Parameter Ema, Parameter Live)> _emaPairs;
    private readonly BalancedParts<(Parameter Ema, Parameter Live)> _emaParts;
    private readonly List<(Parameter Ema, Parameter Live)> _emaAll;
    private readonly List<SpectralNormConv2d> _frozenConvs;
    private readonly KlMarginTerm _klMargin;
    private readonly ReconstructionTerm _reconstruction;
    private readonly InvarianceTerm _invariance;
    private readonly SampleKlTerm _sampleKl;
    private readonly LatentCosineTerm _latentCosine;
    private readonly MixedCanvasTerm _mixedCanvas;
    private readonly List<ILossTerm> _encoderTerms;
    private readonly List<ILossTerm> _decoderTerms;
    private readonly string[] _names;
    private readonly Generator _generator;
    private int _enteredPhase = -1;

    private Trainer(TrainingOptions options, Device device, IEnumerable<ILossTerm>? extraTerms, ComponentRegistry? registry, AutomodulatorNetwork? baseNet)
    {
        Options = options.Resolve();
        // Automatic batch shards: one per intra-op thread on the CPU (up to 8), recorded so a resume splits the same way.
        if (Options.BatchShards == 0) Options = Options with { BatchShards = AutomaticBatchShards(device) };
        Device = device;
        Registry = registry;
        _generator = new Generator((ulong)Options.Seed, device);
        var objective = Options.Objective;
        _network = AutomodulatorNetwork.Create(Options.Model, Options.Seed, registry);
        _ema = new Decoder("decoder", Options.Model, registry);
        _robust = objective.ReconstructionDistance == "robust" ? new RobustLoss("robust", Options.Model.MaxResolution) : null;
        _network.to(device);
        _network.ConvPrecision = PrecisionConv.Parse(Options.Precision, device);
        _ema.to(device);
        _robust?.to(device);
        if (baseNet is not null) PluginTraining.CopyBase(_network, baseNet, PluginTraining.NewTensorPrefixes(Options), Options.BaseModel!);
        if (Options.TrainOnly == PluginTraining.TrainPlugins) _network.FreezeAllBut(PluginTraining.NewTensorPrefixes(Options));
        _frozenConvs = _network.Encoder.SpectralNormConvs.Where(c => !c.Weight.requires_grad).ToList();
        ApplyTrainingMode();
        _ema.eval();
        _ema.NoiseEnabled = false;
        foreach (var p in _ema.parameters()) p.requires_grad = false;
        var live = _network.Decoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        _emaAll = _ema.named_parameters().Select(p => (p.parameter, live[p.name])).ToList();
        _emaPairs = _emaAll.Where(p => p.Live.requires_grad).ToList();
        _emaParts = new BalancedParts<(Parameter Ema, Parameter Live)>(_emaPairs, p => p.Live.NumberOfElements);
        CopyDecoderToEma();

        var first = Options.Schedule.Phases[0];
        var encoderParameters = _network.Encoder.named_parameters().Where(p => p.parameter.requires_grad).Select(p => ("encoder." + p.name, p.parameter)).ToList();
        // The robust loss's α only shapes the encoder step; with a frozen encoder it has nothing to train.
        if (_robust is not null && encoderParameters.Count > 0) encoderParameters.AddRange(_robust.named_parameters().Select(p => ("robust." + p.name, p.parameter)));
        else if (_robust is not null) foreach (var p in _robust.parameters()) p.requires_grad = false;
        _encoderOptimizer = new AdamOptimizer(encoderParameters, first.LearningRate, Options.AdamBeta1, Options.AdamBeta2, Options.AdamEpsilon);
        _decoderOptimizer = new AdamOptimizer(
            _network.Decoder.named_parameters().Where(p => p.parameter.requires_grad).Select(p => ("decoder." + p.name, p.parameter)).ToList(),
            first.LearningRate, Options.AdamBeta1, Options.AdamBeta2, Options.AdamEpsilon);

        IImageDistance distance = _robust is null ? new L1Distance() : new RobustDistance(_robust);
        _klMargin = new KlMarginTerm(objective.KlMarginWeight) { UpperClipShare = objective.KlMarginUpperClipShare };
        _reconstruction = new ReconstructionTerm(distance, objective.ReconstructionWeight);
        _invariance = new InvarianceTerm(distance, objective.ReconstructionWeight);
        _sampleKl = new SampleKlTerm(objective.SampleKlWeight);
        _latentCosine = new LatentCosineTerm(objective.LatentWeight);
        _mixedCanvas = new MixedCanvasTerm(objective.MixedCanvasWeight);
        _encoderTerms = [_klMargin, objective.Invariance ? _invariance : _reconstruction];
        _decoderTerms = [_sampleKl, _latentCosine, _mixedCanvas];
        foreach (var t in extraTerms ?? [])
            (t.Step == TrainingStep.Encoder ? _encoderTerms : _decoderTerms).Add(t);
        _names = _encoderTerms.Select(t => "enc." + t.Name).Append("enc.total").Append("kl_real").Append("kl_fake")
            .Concat(_decoderTerms.Select(t => "dec." + t.Name)).Append("dec.total").ToArray();
    }

    /// <summary>
    /// A fresh trainer: weights from the options' seed, counters at zero; with a base model, its configuration plus the
    /// requested plugin blocks, and its tensors copied in (<see cref="PluginTraining"/>).
    /// </summary>
    /// <param name="registry">Supplies plugin block types (the model's and the requested ones); built-ins only when null.</param>
    public static Trainer Create(TrainingOptions options, Device? device = null, IEnumerable<ILossTerm>? extraTerms = null, ComponentRegistry? registry = null)
    {
        var resolved = PluginTraining.Prepare(options, registry, out var baseNet);
        using (baseNet) return new Trainer(resolved, device ?? CPU, extraTerms, registry, baseNet);
    }

    /// <summary>A trainer for resolved options whose state a checkpoint is about to restore (the base model is not read).</summary>
    internal static Trainer Restore(TrainingOptions options, Device? device, IEnumerable<ILossTerm>? extraTerms, ComponentRegistry? registry) =>
        new(options, device ?? CPU, extraTerms, registry, null);

    /// <summary>The automatic <see cref="TrainingOptions.BatchShards"/>: one per intra-op thread on the CPU, up to 8; 1 on CUDA.</summary>
    public static int AutomaticBatchShards(Device device) => device.type == DeviceType.CPU ? Math.Clamp(get_num_threads(), 1, 8) : 1;

    /// <summary>Where the model's plugin block types come from (null: built-ins only).</summary>
    public ComponentRegistry? Registry { get; }

    public TrainingOptions Options { get; }
    public Device Device { get; }
    public AutomodulatorNetwork Network => _network;
    public Encoder Encoder => _network.Encoder;
    public Decoder Decoder => _network.Decoder;

    /// <summary>The moving average of the decoder, used for samples and evaluation.</summary>
    public Decoder EmaDecoder => _ema;

    public RobustLoss? Robust => _robust;
    public AdamOptimizer EncoderOptimizer => _encoderOptimizer;
    public AdamOptimizer DecoderOptimizer => _decoderOptimizer;

    /// <summary>Samples trained on so far (the position in the schedule).</summary>
    public long SampleCount { get; internal set; }

    /// <summary>Iterations done so far.</summary>
    public long Iteration { get; internal set; }

    /// <summary>Phase, resolution and α of the last batch (or of the schedule's start).</summary>
    public SchedulePosition Position => Options.Schedule.Locate(SampleCount);

    /// <summary>Names of the values each <see cref="StepResult"/> carries.</summary>
    public IReadOnlyList<string> ValueNames => _names;

    /// <summary>Called with the gradients in place, just before each optimiser update (for tests that compare gradients).</summary>
    internal Action<TrainingStep>? BeforeUpdate { get; set; }

    /// <summary>Runs one iteration on <paramref name="batch"/> (the trainer does not dispose it).</summary>
    public StepResult Step(TrainingBatch batch) => Run(batch, encoder: true, decoder: true);

    /// <summary>Only the encoder step of an iteration (for tests of what each step may change).</summary>
    internal StepResult EncoderStepOnly(TrainingBatch batch) => Run(batch, encoder: true, decoder: false);

    /// <summary>Only the decoder step of an iteration, without the EMA update.</summary>
    internal StepResult DecoderStepOnly(TrainingBatch batch) => Run(batch, encoder: false, decoder: true);

    private StepResult Run(TrainingBatch batch, bool encoder, bool decoder)
    {
        if (batch.StartSample != SampleCount)
            throw new InvalidOperationException($"Batch starts at sample {batch.StartSample} but the trainer is at {SampleCount}: batches must come in order.");
        var phase = Options.Schedule.Phases[batch.PhaseIndex];
        EnterPhase(batch.PhaseIndex);
        var objective = Options.Objective;
        var position = Options.Schedule.Locate(SampleCount);
        bool fadeOver = position.SampleInPhase >= phase.FadeInShare * phase.Samples;
        _reconstruction.Weight = _invariance.Weight = objective.ReconstructionWeight * (fadeOver ? objective.ReconstructionWeightAfterFade : 1.0);
        _klMargin.Margin = phase.KlMargin;
        _network.Decoder.NoiseEnabled = objective.LayerNoise && !objective.Invariance;

        // The trainer's own generator, reseeded from (seed, iteration): latents and layer noise of this iteration.
        long seed = (long)(DeterministicRandom.Hash(Options.Seed, DeterministicRandom.Streams.IterationSeed, Iteration) >> 1);
        _generator.manual_seed(seed);
        using var noiseScope = LayerNoise.UseGenerator(_generator);

        using var scope = NewDisposeScope();
        var x = batch.Images.to(Device);
        var values = new List<Tensor>();
        int b0 = (int)x.shape[0];
        int shards = encoder && decoder ? ShardsFor(b0) : 1;
        if (shards > 1) RunSharded(x, batch.Resolution, batch.Alpha, shards, values);
        else if (encoder && decoder && objective.ShareSamples)
        {
            // One decode serves both steps: its output (detached) is the encoder step's x̂, and its graph is kept
            // for the decoder step's backward. Saves the separate no-gradient decode of the fakes.
            var shared = GenerateForDecoderStep(b0, batch.Resolution, batch.Alpha);
            EncoderStep(x, batch.Resolution, batch.Alpha, values, shared.Samples.detach(), decoderLearns: objective.DecoderLearnsReconstruction);
            DecoderStep(shared, batch.Resolution, batch.Alpha, values);
        }
        else
        {
            if (encoder) EncoderStep(x, batch.Resolution, batch.Alpha, values, null, decoderLearns: decoder && objective.DecoderLearnsReconstruction);
            if (decoder) DecoderStep(GenerateForDecoderStep(b0, batch.Resolution, batch.Alpha), batch.Resolution, batch.Alpha, values);
        }
        _encoderOptimizer.SetRequiresGrad(false);
        _decoderOptimizer.SetRequiresGrad(false);
        // (A split batch has updated the EMA on its shard threads.)
        if (encoder && decoder && shards == 1) UpdateEma();

        var stacked = stack(values.Select(v => v.detach().to(ScalarType.Float32).reshape([])).ToArray()).DetachFromDisposeScope();
        var names = encoder && decoder ? _names : _names.Where(n => encoder ? !n.StartsWith("dec.") : n.StartsWith("dec.")).ToArray();
        int b = batch.Size;
        var result = new StepResult(names, stacked, Iteration, SampleCount + b, batch.PhaseIndex, batch.Resolution, batch.Alpha, phase.LearningRate);
        SampleCount += b;
        Iteration++;
        return result;
    }

    /// <summary>
    /// L_φ = max(−M, KL(φ(x)) − KL(φ(x̂))) + λ_X·d_X(x, θ(φ(x))) (or L_inv on flip pairs); updates φ and the robust loss.
    /// </summary>
    /// <param name="decoderLearns">
    /// Keep the decoder's gradients of the reconstruction (or L_inv) term; the decoder step that follows applies them
    /// (<see cref="ObjectiveOptions.DecoderLearnsReconstruction"/>).
    /// </param>
    private void EncoderStep(Tensor x, int res, double alpha, List<Tensor> values, Tensor? sharedFakes, bool decoderLearns)
    {
        var objective = Options.Objective;
        int b = (int)x.shape[0];
        int layers = _network.Decoder.LayerCountUpTo(res);
        // A frozen encoder (plugin training) gets no update: its step only computes the logged values.
        using var frozen = _encoderOptimizer.IsEmpty ? no_grad() : null;
        _decoderOptimizer.SetRequiresGrad(false);
        _encoderOptimizer.SetRequiresGrad(true);
        Tensor fakes;
        if (sharedFakes is not null) fakes = sharedFakes;
        else
        {
            using var _ = no_grad();
            int m = MixCount(b, objective.EncoderMixShare, layers);
            var z = SampleLatents(b);
            fakes = _network.Decoder.call(MixedLatents(z, m, MixLayer(layers, 0), layers), new DecodeSpec(res, alpha));
        }
        // Real and generated images in separate encoder passes, so the generated images' backward can be left out
        // when the loss gives their latents no gradient (the KL term clipped at its margin: see UnlessAllZero).
        // Both passes use one W/σ per spectral-norm conv (one power iteration per step, as one combined pass had).
        var pins = PinSpectralNorm(res, 1);
        Tensor realLatents, fakeLatentsWithGraph;
        try
        {
            realLatents = _network.Encoder.call(x, alpha);
            fakeLatentsWithGraph = _network.Encoder.call(fakes, alpha);
        }
        finally
        {
            UnpinSpectralNorm();
        }
        var fakeLatents = Leaf(fakeLatentsWithGraph);
        Tensor? reconstruction = null, swapped = null;
        // Only the reconstruction decode below tracks decoder gradients; the KL terms never reach θ.
        if (decoderLearns) _decoderOptimizer.SetRequiresGrad(true);
        if (objective.Invariance)
        {
            int half = b / 2, k = Math.Min(objective.InvarianceSplitLayer, layers);
            var partner = cat([realLatents[half..], realLatents[..half]]);
            var perLayer = Enumerable.Range(0, layers).Select(i => i < k ? realLatents : partner).ToArray();
            swapped = _network.Decoder.call(new LayerLatents(perLayer), new DecodeSpec(res, alpha));
        }
        else
        {
            reconstruction = _network.Decoder.call(LayerLatents.Uniform(realLatents, layers), new DecodeSpec(res, alpha));
        }
        var context = new LossContext
        {
            Real = x, RealLatents = realLatents, Reconstruction = reconstruction, SwappedReconstruction = swapped,
            Samples = fakes, SampleReencoded = fakeLatents, Resolution = res, Alpha = alpha,
        };
        var loss = Sum(_encoderTerms, context, values);
        if (loss.requires_grad)
        {
            loss.backward();
            if (UnlessAllZero(fakeLatents.grad) is { } fakeGrad) fakeLatentsWithGraph.backward([fakeGrad]);
            BackpropagateThroughSigma(pins.Select(p => (p.Full, p.Leaf.requires_grad ? p.Leaf.grad : null)));
            BeforeUpdate?.Invoke(TrainingStep.Encoder);
            _encoderOptimizer.Step();
        }
        _decoderOptimizer.SetRequiresGrad(false);
        using (no_grad())
        {
            values.Add(loss.detach());
            values.Add(LatentStatistics.KlToStandardNormal(realLatents.detach()));
            values.Add(LatentStatistics.KlToStandardNormal(fakeLatents.detach()));
        }
    }

    /// <summary>The decoder step's samples x̂ = θ(z) (with graph), a share mixed at layer j, and the mixed rows' canvas after j.</summary>
    private sealed record DecoderSamples(Tensor Latents, int Mixed, int SplitLayer, Tensor Samples, Tensor? Canvas);

    private DecoderSamples GenerateForDecoderStep(int b, int res, double alpha)
    {
        int layers = _network.Decoder.LayerCountUpTo(res);
        _encoderOptimizer.SetRequiresGrad(false);
        _decoderOptimizer.SetRequiresGrad(true);
        int m = MixCount(b, Options.Objective.DecoderMixShare, layers);
        int j = MixLayer(layers, 1);
        var z = SampleLatents(b);
        var assignment = MixedLatents(z, m, j, layers);
        if (m == 0) return new DecoderSamples(z, 0, j, _network.Decoder.call(assignment, new DecodeSpec(res, alpha)), null);
        var (samples, canvas) = _network.Decoder.DecodeWithCanvas(assignment, new DecodeSpec(res, alpha), j, m);
        return new DecoderSamples(z, m, j, samples, canvas);
    }

    /// <summary>L_θ = KL(φ(x̂)) + λ_Z·d_cos(z, φ(x̂)) + L_j; updates θ.</summary>
    private void DecoderStep(DecoderSamples generated, int res, double alpha, List<Tensor> values)
    {
        int layers = _network.Decoder.LayerCountUpTo(res);
        _encoderOptimizer.SetRequiresGrad(false);
        _decoderOptimizer.SetRequiresGrad(true);
        var (z, m, j, samples, canvas) = generated;
        var back = _network.Encoder.call(samples, alpha);
        Tensor? canvasBack = null;
        if (m > 0)
            canvasBack = _network.Decoder.call(LayerLatents.Uniform(back[..m], layers), new DecodeSpec(res, alpha, StopAfterLayer: j));
        var context = new LossContext
        {
            SampleLatents = z, Samples = samples, SampleReencoded = back, MixedCount = m,
            MixedCanvas = canvas, MixedCanvasReencoded = canvasBack, Resolution = res, Alpha = alpha,
        };
        var loss = Sum(_decoderTerms, context, values);
        // No trainable parameter in the graph (a plugin block above this phase's resolution): values only.
        if (loss.requires_grad)
        {
            loss.backward();
            BeforeUpdate?.Invoke(TrainingStep.Decoder);
            _decoderOptimizer.Step();
        }
        values.Add(loss.detach());
    }

    /// <summary>
    /// <paramref name="grad"/>, or null when it is absent or all zero (counted in <see cref="FakeBackwardsSkipped"/>).
    /// The encoder's KL term max(−M, KL(φ(x)) − KL(φ(x̂))) sits at its margin in most iterations of a run (≈ 90 % of the
    /// demo's); it then gives φ(x̂) an all-zero gradient, and back-propagating that through the encoder would cost a
    /// third of the encoder step and add nothing. (One host read per step: cheap next to the pass it can save.)
    /// </summary>
    private Tensor? UnlessAllZero(Tensor? grad)
    {
        if (!LeaveOutZeroBackwards || (grad is not null && grad.any().item<bool>())) return grad;
        FakeBackwardsSkipped++;
        return null;
    }

    /// <summary>Encoder steps whose generated-image backward was left out because its gradient was zero (see <see cref="UnlessAllZero"/>).</summary>
    public long FakeBackwardsSkipped { get; private set; }

    /// <summary>Tests: false back-propagates φ(x̂)'s gradient even when it is all zero (the result must not change).</summary>
    internal bool LeaveOutZeroBackwards { get; set; } = true;

    /// <summary>Weighted sum of the terms; each unweighted value is appended to <paramref name="values"/>.</summary>
    private static Tensor Sum(List<ILossTerm> terms, LossContext context, List<Tensor> values)
    {
        Tensor? total = null;
        foreach (var term in terms)
        {
            var v = term.Compute(context);
            values.Add(v.detach());
            var weighted = v * term.Weight;
            total = total is null ? weighted : total + weighted;
        }
        return total ?? throw new InvalidOperationException("A training step has no loss terms.");
    }

    /// <summary>Called when a batch of a new phase arrives: learning rate, and the robust loss's maps for a new resolution.</summary>
    private void EnterPhase(int phaseIndex)
    {
        if (phaseIndex == _enteredPhase) return;
        var phase = Options.Schedule.Phases[phaseIndex];
        _encoderOptimizer.LearningRate = _decoderOptimizer.LearningRate = phase.LearningRate;
        _robust?.PrepareResolution(phase.Resolution);
        _enteredPhase = phaseIndex;
    }

    /// <summary>Rows of a batch that are mixed: the share rounded, none when there is only one layer to mix at.</summary>
    private static int MixCount(int batch, double share, int layers) => layers < 2 ? 0 : (int)Math.Round(batch * share);

    /// <summary>j ~ U{1, N} for this iteration's encoder (0) or decoder (1) step.</summary>
    private int MixLayer(int layers, int step) =>
        1 + DeterministicRandom.Below(layers, Options.Seed, DeterministicRandom.Streams.MixLayer, Iteration * 2 + step);

    /// <summary>The generator of the iteration's latents and layer noise (reseeded every iteration).</summary>
    public Generator Generator => _generator;

    /// <summary>Unit latents [n, zdim] from the trainer's (reseeded) generator.</summary>
    private Tensor SampleLatents(int n) =>
        nn.functional.normalize(randn([n, Options.Model.LatentDim], device: Device, generator: _generator), dim: 1);

    /// <summary>
    /// The assignment for a batch whose first <paramref name="mixed"/> rows are mixed samples: z (= z_A) drives layers
    /// 1..j, and after j those rows read a fresh z_B while the others keep z.
    /// </summary>
    private LayerLatents MixedLatents(Tensor z, int mixed, int j, int layers)
    {
        if (mixed == 0) return LayerLatents.Uniform(z, layers);
        var after = mixed == z.shape[0] ? SampleLatents(mixed) : cat([SampleLatents(mixed), z[mixed..]]);
        return LayerLatents.Split(z, after, j, layers);
    }

    private void UpdateEma() => UpdateEma(0, 1);

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of the EMA update (the parts may run on different threads at once).</summary>
    private void UpdateEma(int part, int parts)
    {
        using var _ = no_grad();
        // Scalars held past the calls (see HeldScalar).
        using var keep = Options.EmaDecay.ToScalar();
        using var take = (1 - Options.EmaDecay).ToScalar();
        foreach (var (ema, live) in _emaParts.Part(part, parts)) ema.mul_(keep).add_(live, take);
    }

    internal void CopyDecoderToEma()
    {
        using var _ = no_grad();
        foreach (var (ema, live) in _emaAll) ema.copy_(live);
    }

    /// <summary>
    /// θ(φ(x)) in evaluation mode (stored spectral-norm σ, no layer noise) at the current resolution and α, with the
    /// EMA decoder or the live one. Changes no training state.
    /// </summary>
    public Tensor Reconstruct(Tensor images, bool useEma = true)
    {
        var position = Position;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var decoder = useEma ? _ema : _network.Decoder;
        bool noise = decoder.NoiseEnabled;
        _network.Encoder.eval();
        decoder.NoiseEnabled = false;
        try
        {
            var x = images.to(Device);
            int res = (int)x.shape[3];
            double alpha = res == position.Phase.Resolution ? position.Alpha : 1.0;
            var z = _network.Encoder.call(x, alpha);
            return decoder.call(LayerLatents.Uniform(z, decoder.LayerCountUpTo(res)), new DecodeSpec(res, alpha)).cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            ApplyTrainingMode();
            decoder.NoiseEnabled = noise;
        }
    }

    /// <summary>Mean absolute error of <see cref="Reconstruct"/> on held-out images (a host sync).</summary>
    public double ReconstructionError(Tensor images, bool useEma = true)
    {
        using var scope = NewDisposeScope();
        var recon = Reconstruct(images, useEma);
        return (recon - images.cpu()).abs().mean().item<float>();
    }

    /// <summary>
    /// The picture grids of the current state: reconstructions of <paramref name="heldOut"/> (top row originals,
    /// bottom row θ(φ(x))), samples from <paramref name="fixedLatents"/>, and a mix grid in which each row's image A
    /// takes image B's latent in the coarse, intermediate or fine layers. All with the EMA decoder, noise off.
    /// </summary>
    public IReadOnlyList<ImageGridData> Grids(Tensor heldOut, Tensor fixedLatents)
    {
        var position = Position;
        int res = position.Phase.Resolution;
        double alpha = position.Alpha;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        _network.Encoder.eval();
        try
        {
            int layers = _ema.LayerCountUpTo(res);
            var x = heldOut.to(Device);
            int n = (int)x.shape[0];
            var z = _network.Encoder.call(x, alpha);
            var recon = _ema.call(LayerLatents.Uniform(z, layers), new DecodeSpec(res, alpha));
            var grids = new List<ImageGridData>
            {
                new("recon", cat([x, recon]).cpu().DetachFromDisposeScope(), 2, n, ["input", "reconstruction"], []),
            };
            var zs = fixedLatents.to(Device);
            int s = (int)zs.shape[0];
            int cols = (int)Math.Ceiling(Math.Sqrt(s));
            var samples = _ema.call(LayerLatents.Uniform(zs, layers), new DecodeSpec(res, alpha));
            grids.Add(new ImageGridData("samples", samples.cpu().DetachFromDisposeScope(), (s + cols - 1) / cols, cols, [], []));
            if (n >= 2)
            {
                var resolutions = _ema.LayerResolutions.Take(layers).ToArray();
                var zA = z;
                var zB = z.roll(1, 0);
                var rows = new List<Tensor> { x, x.roll(1, 0) };
                foreach (var range in new[] { LayerRange.Coarse, LayerRange.Intermediate, LayerRange.Fine })
                {
                    var assignment = LayerLatents.Uniform(zA, layers).With(range, resolutions, zB);
                    rows.Add(_ema.call(assignment, new DecodeSpec(res, alpha)));
                }
                // Lay out one row per pair: A, B, A with B's coarse, intermediate, fine layers.
                var grid = stack(rows.ToArray(), 1).reshape(n * rows.Count, 3, res, res);
                grids.Add(new ImageGridData("mix", grid.cpu().DetachFromDisposeScope(), n, rows.Count, [],
                    ["A", "B", "A+B coarse", "A+B intermediate", "A+B fine"]));
            }
            return grids;
        }
        finally
        {
            ApplyTrainingMode();
        }
    }

    /// <summary>Training mode, except for frozen spectral-norm convs, which keep their stored u, v and σ.</summary>
    private void ApplyTrainingMode()
    {
        _network.train();
        foreach (var c in _frozenConvs) c.eval();
    }

    public void Dispose()
    {
        _workers?.Dispose();
        foreach (var g in _shardGenerators ?? []) g.Dispose();
        _encoderOptimizer.Dispose();
        _decoderOptimizer.Dispose();
        _robust?.Dispose();
        _ema.Dispose();
        _network.Dispose();
        _generator.Dispose();
    }
}
