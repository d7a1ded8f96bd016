using Automodulator.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

[Collection("Training")]
public class TrainerStepTests
{
    private static Dictionary<string, Tensor> Snapshot(nn.Module module, string prefix) =>
        module.named_parameters().ToDictionary(p => prefix + p.name, p => p.parameter.detach().clone());

    private static Dictionary<string, Tensor> All(Trainer t)
    {
        var d = Snapshot(t.Encoder, "encoder.");
        foreach (var kv in Snapshot(t.Decoder, "decoder.")) d[kv.Key] = kv.Value;
        foreach (var kv in Snapshot(t.EmaDecoder, "ema.")) d[kv.Key] = kv.Value;
        foreach (var kv in Snapshot(t.Robust!, "robust.")) d[kv.Key] = kv.Value;
        return d;
    }

    private static HashSet<string> Changed(Dictionary<string, Tensor> before, Dictionary<string, Tensor> after) =>
        before.Where(kv => !kv.Value.allclose(after[kv.Key], 0, 0)).Select(kv => kv.Key).ToHashSet();

    [Fact]
    public void Encoder_step_changes_only_encoder_and_robust_loss_parameters()
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(TrainingFixtures.Tiny());
        using var batch = TrainingFixtures.Batches(trainer.Options, data).First();
        var before = All(trainer);
        trainer.EncoderStepOnly(batch).Dispose();
        var changed = Changed(before, All(trainer));
        Assert.Contains(changed, n => n.StartsWith("encoder."));
        Assert.Contains("robust.latent_alpha.4x4", changed);
        Assert.Contains("robust.latent_scale.4x4", changed);
        Assert.DoesNotContain(changed, n => n.StartsWith("decoder.") || n.StartsWith("ema."));
        // Every encoder parameter used at 4×4 moves (Adam's first step moves every parameter with a gradient).
        Assert.Contains("encoder.blocks.4x4.conv0.weight", changed);
        Assert.Contains("encoder.from_rgb.4x4.weight", changed);
    }

    [Fact]
    public void Decoder_step_changes_only_decoder_parameters()
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(TrainingFixtures.Tiny());
        using var batch = TrainingFixtures.Batches(trainer.Options, data).First();
        var before = All(trainer);
        trainer.DecoderStepOnly(batch).Dispose();
        var changed = Changed(before, All(trainer));
        Assert.Contains("decoder.blocks.4x4.convs.0.weight", changed);
        Assert.Contains("decoder.constant", changed);
        Assert.DoesNotContain(changed, n => n.StartsWith("encoder.") || n.StartsWith("robust.") || n.StartsWith("ema."));
    }

    [Fact]
    public void A_full_iteration_moves_the_ema_decoder_towards_the_decoder()
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(TrainingFixtures.Tiny() with { EmaDecay = 0.9 });
        using var batch = TrainingFixtures.Batches(trainer.Options, data).First();
        using var before = trainer.EmaDecoder.named_parameters().First(p => p.name == "constant").parameter.detach().clone();
        trainer.Step(batch).Dispose();
        var live = trainer.Decoder.named_parameters().First(p => p.name == "constant").parameter;
        var ema = trainer.EmaDecoder.named_parameters().First(p => p.name == "constant").parameter;
        using var expected = before * 0.9 + live.detach() * 0.1;
        Assert.True(ema.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.False(ema.allclose(before, 0, 0));
    }

    [Fact]
    public void Steps_leak_no_tensors()
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(TrainingFixtures.Tiny(samplesPerPhase: 400));
        var batches = TrainingFixtures.Batches(trainer.Options, data).Take(25).ToList();
        // Warm up (lazy optimiser state, log-partition table) before counting.
        for (int i = 0; i < 5; i++) trainer.Step(batches[i]).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 5; i < 25; i++) trainer.Step(batches[i]).Dispose();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (var b in batches) b.Dispose();
        Assert.Equal(before, after);
    }

    [Fact]
    public void Batches_out_of_order_are_refused()
    {
        var data = new SyntheticFaceSet(24);
        using var trainer = Trainer.Create(TrainingFixtures.Tiny());
        using var second = TrainingFixtures.Batches(trainer.Options, data).Skip(1).First();
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Step(second));
        Assert.Contains("in order", e.Message);
    }

    [Fact]
    public void Invariance_training_adds_the_extra_layer_turns_noise_off_and_logs_l_inv()
    {
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny() with { Objective = new ObjectiveOptions { Invariance = true, ReconstructionDistance = "l1" } };
        using var trainer = Trainer.Create(options);
        Assert.Equal(8, trainer.Options.Model.ExtraLayerResolution);
        var batches = TrainingFixtures.Batches(trainer.Options, data).Take(10).ToList();
        // Flip pairs: the second half of the batch mirrors the first.
        using (var flipped = batches[0].Images[4..].flip(3)) Assert.True(batches[0].Images[..4].allclose(flipped, 0, 0));
        IReadOnlyDictionary<string, double>? values = null;
        foreach (var b in batches)
        {
            using var r = trainer.Step(b);
            values = r.Read();
            b.Dispose();
        }
        Assert.False(trainer.Decoder.NoiseEnabled);
        Assert.True(double.IsFinite(values!["enc.l_inv"]));
        Assert.DoesNotContain("enc.recon", values.Keys);
    }

    [Fact]
    public void Decoder_learns_reconstruction_changes_the_decoder_update_but_not_the_encoder_update()
    {
        var data = new SyntheticFaceSet(24);
        var options = TrainingFixtures.Tiny();
        using var plain = Trainer.Create(options);
        using var cotrained = Trainer.Create(options with { Objective = options.Objective with { DecoderLearnsReconstruction = true } });
        var batches = TrainingFixtures.Batches(options, data).Take(3).ToList();
        plain.Step(batches[0]).Dispose();
        cotrained.Step(batches[0]).Dispose();
        // The encoder step's objective is unchanged (both decoders were equal when it ran).
        var a = All(plain);
        var b = All(cotrained);
        Assert.DoesNotContain(a.Keys, k => k.StartsWith("encoder.") && !a[k].allclose(b[k], 0, 0));
        // θ also follows λ_X·d_X(x, θ(φ(x))). A few steps: Adam's first update (β1 = 0) is ±lr wherever the
        // gradient is non-zero, whatever its size, so one step may not tell the two apart.
        foreach (var batch in batches.Skip(1))
        {
            plain.Step(batch).Dispose();
            cotrained.Step(batch).Dispose();
        }
        foreach (var batch in batches) batch.Dispose();
        a = All(plain);
        b = All(cotrained);
        Assert.False(a["decoder.to_rgb.4x4.weight"].allclose(b["decoder.to_rgb.4x4.weight"], 0, 0));
        Assert.False(a["decoder.blocks.4x4.adains.0.style.weight"].allclose(b["decoder.blocks.4x4.adains.0.style.weight"], 0, 0));
    }
}
