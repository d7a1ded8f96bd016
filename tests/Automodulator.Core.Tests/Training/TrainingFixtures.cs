using Automodulator.Abstractions;
using Automodulator.Abstractions.Data;
using Automodulator.Core.Model;
using Automodulator.Core.Training;
using Automodulator.Data.Batches;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

/// <summary>The procedural synthetic faces (ingest's renderer) as an <see cref="IImageSet"/>, rendered once per size.</summary>
internal sealed class SyntheticFaceSet(int count, int maxResolution = 16, ulong seed = 7) : IImageSet
{
    private readonly SyntheticFaceSource _source = new(count, seed, keepInMemory: true);
    public int Count => _source.Count;
    public int MaxResolution { get; } = maxResolution;
    public bool IsMirrorable => _source.CanMirror;

    public void Read(int index, int resolution, Span<byte> rgbHwc) => _source.Get(index, resolution).Pixels.CopyTo(rgbHwc);
}

internal static class TrainingFixtures
{
    /// <summary>A tiny model (8 channels, z 16) and a two-phase 8→16 schedule: fast enough for many steps in a test.</summary>
    public static TrainingOptions Tiny(long seed = 1, long samplesPerPhase = 64, int batch = 8, string distance = "robust") => new()
    {
        Seed = seed,
        Model = ModelPresets.Get("tiny16") with { EncoderChannels = [8, 8, 8], DecoderChannels = [8, 8, 8], LatentDim = 16 },
        Schedule = new ProgressiveSchedule
        {
            Name = "test",
            Phases =
            [
                new SchedulePhase(4, samplesPerPhase, 0, batch, 0.002, 2.0),
                new SchedulePhase(8, samplesPerPhase, 0.5, batch, 0.002, 2.0),
                new SchedulePhase(16, samplesPerPhase, 0.5, batch, 0.002, 0.5),
            ],
        },
        Objective = new ObjectiveOptions { ReconstructionDistance = distance },
        HeldOutImages = 4,
        CheckpointEverySamples = 0,
        SnapshotEverySamples = 0,
        LogFlushEveryIterations = 5,
    };

    /// <summary>
    /// <see cref="Tiny"/> in one phase at 16×16 (every encoder and decoder block in use), with layer noise off so that
    /// differently split runs draw the same randomness.
    /// </summary>
    public static TrainingOptions At16(int shards, ObjectiveOptions objective, double klMargin = 0.5) => Tiny() with
    {
        BatchShards = shards,
        Schedule = new ProgressiveSchedule { Name = "test16", Phases = [new SchedulePhase(16, 64, 0, 8, 0.002, klMargin)] },
        Objective = objective with { ReconstructionDistance = "robust", LayerNoise = false },
    };

    /// <summary>
    /// Every gradient each optimiser of <paramref name="trainer"/> is about to apply, named "encoder.…", "robust.…" and
    /// "decoder.…", copied at each update (a later update overwrites an earlier one's entries).
    /// </summary>
    public static Dictionary<string, Tensor> RecordGradients(Trainer trainer)
    {
        var gradients = new Dictionary<string, Tensor>();
        trainer.BeforeUpdate = step =>
        {
            var named = step == TrainingStep.Encoder
                ? trainer.Encoder.named_parameters().Select(p => ("encoder." + p.name, p.parameter))
                    .Concat((trainer.Robust?.named_parameters() ?? []).Select(p => ("robust." + p.name, p.parameter)))
                : trainer.Decoder.named_parameters().Select(p => ("decoder." + p.name, p.parameter));
            foreach (var (name, p) in named)
                if (p.grad is { } g) gradients[name] = g.detach().clone().DetachFromDisposeScope();
        };
        return gradients;
    }

    /// <summary>Batches in schedule order without the background thread.</summary>
    public static IEnumerable<TrainingBatch> Batches(TrainingOptions options, IImageSet data, long start = 0)
    {
        var o = options.Resolve();
        using var producer = new BatchProducer(data, o.Schedule, o.Seed, start, 1, o.HeldOutImages, o.MirrorAugment, o.Objective.Invariance, background: false);
        long s = start;
        while (true)
        {
            var position = o.Schedule.Locate(s);
            if (position.IsFinished) yield break;
            var batch = producer.Produce(s, position);
            s += batch.Size;
            yield return batch;
        }
    }
}
