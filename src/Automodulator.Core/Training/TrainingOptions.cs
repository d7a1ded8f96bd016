using Automodulator.Core.Layers;
using Automodulator.Core.Model;

namespace Automodulator.Core.Training;

/// <summary>
/// Everything that defines a training run, resolved (no names left to look up), written to the run folder's
/// options.json and into every checkpoint, so a run can be resumed or reproduced from either.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Seed of the weights, the data order, the latents and the layer noise. Same seed, same run (on CPU).</summary>
    public long Seed { get; init; }

    /// <summary>The network to build (a preset resolved to its configuration).</summary>
    public ModelConfig Model { get; init; } = ModelPresets.Get("tiny16");

    /// <summary>The progressive schedule (phases of resolution, samples, fade-in, batch, learning rate, KL margin).</summary>
    public ProgressiveSchedule Schedule { get; init; } = SchedulePresets.Get("cpu-tiny16");

    /// <summary>Loss weights and sampling of the objective.</summary>
    public ObjectiveOptions Objective { get; init; } = new();

    /// <summary>Adam β1 for both networks (paper: 0, so the update is RMSProp-like and no first moment is kept).</summary>
    public double AdamBeta1 { get; init; } = 0.0;

    /// <summary>Adam β2 for both networks (paper: 0.99).</summary>
    public double AdamBeta2 { get; init; } = 0.99;

    /// <summary>Adam ε for both networks (paper: 1e-8).</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Decay of the exponential moving average of the decoder used for samples and evaluation (0.999).</summary>
    public double EmaDecay { get; init; } = 0.999;

    /// <summary>
    /// Operand precision of the spatial convolutions while training: "fp32" (default, the paper's numerics), "bf16"
    /// (mixed precision: bfloat16 operands, float32 accumulation, parameters and losses; about 2× faster convolutions
    /// on CPUs with AVX512-BF16 or AMX) or "auto" (bf16 where that hardware or CUDA is present, else fp32).
    /// The EMA decoder (samples, reconstructions for the grids and evaluation) always runs in float32.
    /// </summary>
    public string Precision { get; init; } = "fp32";

    /// <summary>
    /// Split each batch into this many shards computed side by side, one thread each (CPU only). 0 (default): as many
    /// as libtorch has intra-op threads, up to 8, on the CPU, and 1 on CUDA; the run records the number it used, so a
    /// resume splits the same way. 1: no split, every operation spread over all threads. The loss is still computed
    /// on the whole batch (its KL terms need whole-batch statistics); see docs/training.md, "Batch shards".
    /// Not used with L_inv (flip pairs cross the split), a frozen network, or a batch of fewer than two rows per shard.
    /// </summary>
    public int BatchShards { get; init; }

    /// <summary>Throws the options' error for a <see cref="BatchShards"/> value outside 0..64.</summary>
    public static void CheckBatchShards(int shards)
    {
        if (shards is < 0 or > 64) throw new ArgumentException($"BatchShards (--batch-shards) must be in 0..64 (0: automatic); got {shards}.");
    }

    /// <summary>Mirror each training image horizontally with probability ½ when the data set allows it.</summary>
    public bool MirrorAugment { get; init; } = true;

    /// <summary>Images at the end of the data set kept out of training, used for the reconstruction grids and evaluation.</summary>
    public int HeldOutImages { get; init; } = 8;

    /// <summary>Ready batches the reader thread may keep ahead of the trainer (the bounded channel's capacity).</summary>
    public int PrefetchBatches { get; init; } = 4;

    /// <summary>Write a checkpoint every this many samples (0: only at the end and on interruption).</summary>
    public long CheckpointEverySamples { get; init; } = 50_000;

    /// <summary>Checkpoints to keep; older ones are deleted after a newer one is safely written.</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Write the PNG grids (reconstructions, samples, mixes) every this many samples (0: only at the end).</summary>
    public long SnapshotEverySamples { get; init; } = 50_000;

    /// <summary>
    /// Read the loss values back from the device every this many iterations (one sync for all of them) and append
    /// them to the JSONL log, one line per iteration.
    /// </summary>
    public int LogFlushEveryIterations { get; init; } = 10;

    /// <summary>
    /// A trained model (model.amod) to start from instead of fresh weights: the run's model becomes that model's
    /// configuration plus <see cref="PluginBlocks"/>, and every base tensor is copied from it. Resolved by
    /// <see cref="PluginTraining.ResolveModel"/> when the run starts; a resumed run reads its weights from its checkpoint.
    /// </summary>
    public string? BaseModel { get; init; }

    /// <summary>Plugin blocks to insert into the model (after the block each names), from the plugin registry.</summary>
    public PluginBlockRequest[] PluginBlocks { get; init; } = [];

    /// <summary>
    /// A resolution block to append on top of <see cref="BaseModel"/> (R → 2R): the model grows one level, exactly like
    /// a progressive-growing phase, and the schedule's first phase fades it in from R (<c>append-2R</c>).
    /// </summary>
    public AppendBlockRequest? AppendBlock { get; init; }

    /// <summary>
    /// Which parameters to optimise: "all" (default) or "plugins" (only what this run adds on the base: the blocks of
    /// <see cref="PluginBlocks"/> and the level of <see cref="AppendBlock"/>; the base model's parameters and buffers
    /// stay bit-identical).
    /// </summary>
    public string TrainOnly { get; init; } = PluginTraining.TrainAll;

    /// <summary>Checks that the options can run and returns them with the invariance model change applied.</summary>
    public TrainingOptions Resolve()
    {
        Schedule.Validate();
        Objective.Validate();
        if (AppendBlock is not null && BaseModel is null) throw new ArgumentException("Appending a block needs a base model to grow (--base-model M.amod).");
        var model = Model;
        if (Objective.Invariance && model.ExtraLayerResolution is null)
            model = model with { ExtraLayerResolution = 8 };
        model.Validate();
        if (Schedule.MaxResolution > model.MaxResolution)
            throw new ArgumentException($"The schedule grows to {Schedule.MaxResolution}×{Schedule.MaxResolution} but the model stops at {model.MaxResolution}×{model.MaxResolution}. " +
                                        "Pick a bigger model preset or a smaller schedule.");
        if (Objective.Invariance && Schedule.Phases.Any(p => p.BatchSize % 2 != 0))
            throw new ArgumentException("L_inv trains on flip pairs: every batch size must be even.");
        if (AdamBeta1 is < 0 or >= 1 || AdamBeta2 is < 0 or >= 1 || AdamEpsilon <= 0)
            throw new ArgumentException("Adam needs 0 ≤ β1, β2 < 1 and ε > 0.");
        if (EmaDecay is < 0 or >= 1) throw new ArgumentException("EmaDecay must be in [0, 1).");
        if (HeldOutImages < 0) throw new ArgumentException("HeldOutImages must be ≥ 0.");
        if (!PrecisionConv.IsName(Precision)) throw new ArgumentException(PrecisionConv.UnknownMessage(Precision));
        CheckBatchShards(BatchShards);
        if (PrefetchBatches < 1) throw new ArgumentException("PrefetchBatches must be at least 1.");
        if (KeepCheckpoints < 1) throw new ArgumentException("KeepCheckpoints must be at least 1.");
        if (LogFlushEveryIterations < 1) throw new ArgumentException("LogFlushEveryIterations must be at least 1.");
        if (TrainOnly is not (PluginTraining.TrainAll or PluginTraining.TrainPlugins))
            throw new ArgumentException($"TrainOnly must be \"{PluginTraining.TrainAll}\" or \"{PluginTraining.TrainPlugins}\" (got \"{TrainOnly}\").");
        if (TrainOnly == PluginTraining.TrainPlugins && (BaseModel is null || (PluginBlocks.Length == 0 && AppendBlock is null)))
            throw new ArgumentException("Training only plugins needs a base model (--base-model) and at least one new block (--plugin-block TYPE@AFTER or --append-block TYPE).");
        if (AppendBlock is not null)
        {
            // The model here is already grown to 2R (PluginTraining.ResolveModel); the first phase fades in from R.
            int r = model.MaxResolution / 2;
            if (Schedule.StartResolution != r || Schedule.Phases[0].Resolution != model.MaxResolution)
                throw new ArgumentException($"Appending a {model.MaxResolution}×{model.MaxResolution} block to a {r}×{r} base needs a schedule that starts at " +
                                            $"{model.MaxResolution}×{model.MaxResolution} fading in from {r}×{r}, e.g. append-{model.MaxResolution} (got {Schedule.Name ?? "a custom schedule"}).");
        }
        var keys = PluginBlocks.Select(p => p.ResolvedKey).ToList();
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            throw new ArgumentException($"Two plugin blocks share a key ({string.Join(", ", keys)}); give each its own with TYPE@AFTER:KEY.");
        return this with { Model = model };
    }
}
