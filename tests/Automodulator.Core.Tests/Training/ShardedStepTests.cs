using Automodulator.Core.Model;
using Automodulator.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

/// <summary>A batch split over shard threads computes the unsplit iteration: same losses, same gradients.</summary>
[Collection("Training")]
public class ShardedStepTests
{
    private static TrainingOptions At16(int shards, double mixShare, bool decoderLearns) =>
        TrainingFixtures.At16(shards, new ObjectiveOptions { DecoderMixShare = mixShare, DecoderLearnsReconstruction = decoderLearns });

    /// <summary>The first iteration's logged values, and every gradient each optimiser was about to apply.</summary>
    private static (double[] Values, Dictionary<string, Tensor> Gradients) FirstIteration(TrainingOptions options)
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(options);
        var gradients = TrainingFixtures.RecordGradients(trainer);
        using var batch = TrainingFixtures.Batches(trainer.Options, data).First();
        using var result = trainer.Step(batch);
        return (result.Read().Values.ToArray(), gradients);
    }

    [Theory]
    [InlineData(2, 0.0, false)]
    [InlineData(3, 0.0, false)]
    [InlineData(2, 1.0, true)]
    [InlineData(3, 1.0, false)]
    public void A_sharded_iteration_has_the_losses_and_gradients_of_the_unsplit_one(int shards, double mixShare, bool decoderLearns)
    {
        var (values, gradients) = FirstIteration(At16(1, mixShare, decoderLearns));
        var (shardedValues, shardedGradients) = FirstIteration(At16(shards, mixShare, decoderLearns));

        Assert.Equal(values.Length, shardedValues.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(values[i] - shardedValues[i]) <= 1e-4 * Math.Max(1, Math.Abs(values[i])), $"value {i}: {values[i]} vs {shardedValues[i]}");
        // Every parameter that gets a gradient unsplit gets one split (spectral-norm weights through W/σ included).
        Assert.Equal(gradients.Keys.Order(), shardedGradients.Keys.Order());
        Assert.Contains("encoder.blocks.16x16.conv0.weight", gradients.Keys);
        Assert.Contains("robust.latent_alpha.16x16", gradients.Keys);
        if (mixShare > 0) Assert.Contains("decoder.blocks.4x4.convs.0.weight", gradients.Keys);
        foreach (var (name, g) in gradients)
        {
            double scale = g.norm().item<float>(), diff = (g - shardedGradients[name]).norm().item<float>();
            Assert.True(diff <= 1e-4 * scale + 1e-7, $"{name}: |Δ| {diff:G3} against |g| {scale:G3}");
        }
    }

    [Fact]
    public void The_loss_sees_every_shards_mixed_rows_first()
    {
        // Shard 0: rows 0..2 with row 0 mixed; shard 1: rows 3..5 with rows 3, 4 mixed; shard 2: rows 6, 7, none mixed.
        using var rows = arange(8).reshape(8, 1);
        using var batch = Trainer.MixedRowsFirst([rows[..3], rows[3..6], rows[6..]], [1, 2, 0]);
        Assert.Equal(new long[] { 0, 3, 4, 1, 2, 5, 6, 7 }, batch.flatten().data<long>().ToArray());
    }

    [Fact]
    public void Sharded_runs_with_mixing_and_noise_are_deterministic()
    {
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny() with { BatchShards = 2 };
        var runs = new List<List<double[]>>();
        for (int r = 0; r < 2; r++)
        {
            using var trainer = Trainer.Create(options);
            var values = new List<double[]>();
            foreach (var batch in TrainingFixtures.Batches(options, data).Take(10))
            {
                using (batch)
                using (var result = trainer.Step(batch))
                    values.Add(result.Read().Values.ToArray());
            }
            Assert.True(trainer.Decoder.NoiseEnabled);
            runs.Add(values);
        }
        for (int i = 0; i < runs[0].Count; i++) Assert.Equal(runs[0][i], runs[1][i]);
    }

    [Fact]
    public void Sharded_steps_leak_no_tensors_on_any_thread()
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(TrainingFixtures.Tiny(samplesPerPhase: 400) with { BatchShards = 2 });
        var batches = TrainingFixtures.Batches(trainer.Options, data).Take(25).ToList();
        for (int i = 0; i < 5; i++) trainer.Step(batches[i]).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var workersBefore = trainer.ShardLiveTensorCounts();
        for (int i = 5; i < 25; i++) trainer.Step(batches[i]).Dispose();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var workersAfter = trainer.ShardLiveTensorCounts();
        foreach (var b in batches) b.Dispose();
        Assert.Equal(2, workersBefore.Length);
        Assert.Equal(before, after);
        Assert.Equal(workersBefore, workersAfter);
    }

    [Fact]
    public void Shards_apply_to_whole_pairs_of_rows_and_not_to_flip_pairs_or_the_unsplit_option()
    {
        using (var trainer = Trainer.Create(TrainingFixtures.Tiny() with { BatchShards = 4 }))
        {
            Assert.Equal(4, trainer.ShardsFor(8));
            Assert.Equal(3, trainer.ShardsFor(6));
            Assert.Equal(1, trainer.ShardsFor(3));
        }
        using (var trainer = Trainer.Create(TrainingFixtures.Tiny() with { BatchShards = 1 }))
            Assert.Equal(1, trainer.ShardsFor(8));
        var invariance = TrainingFixtures.Tiny() with { BatchShards = 2, Objective = new ObjectiveOptions { Invariance = true, ReconstructionDistance = "l1" } };
        using (var trainer = Trainer.Create(invariance))
            Assert.Equal(1, trainer.ShardsFor(8));
    }

    [Fact]
    public void The_automatic_shard_count_is_resolved_into_the_options_and_a_negative_one_is_refused()
    {
        using (var trainer = Trainer.Create(TrainingFixtures.Tiny()))
            Assert.Equal(Trainer.AutomaticBatchShards(CPU), trainer.Options.BatchShards);
        Assert.True(Trainer.AutomaticBatchShards(CPU) >= 1);
        var e = Assert.Throws<ArgumentException>(() => (TrainingFixtures.Tiny() with { BatchShards = -1 }).Resolve());
        Assert.Contains("BatchShards", e.Message);
    }
}
