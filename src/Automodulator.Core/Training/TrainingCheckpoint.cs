using System.Text.Json;
using System.Text.Json.Nodes;
using Automodulator.Abstractions;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// The training checkpoint (a <see cref="CheckpointFile"/> of kind "training", written atomically): encoder, decoder
/// and EMA decoder weights and buffers (the spectral-norm u, v, σ are buffers), the robust loss's maps, both Adam
/// states (per parameter exp_avg_sq, exp_avg when β1 &gt; 0, and the step), the counters (samples, iteration, phase, α),
/// the random state, and the resolved options, so a resumed run continues where it stopped.
/// Tensor names: encoder.* and decoder.* (as in a model checkpoint), ema.*, robust.*, adam.encoder.*, adam.decoder.*, rng.trainer.
/// </summary>
public static class TrainingCheckpoint
{
    public const string Kind = "training";
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(Trainer trainer, string path)
    {
        var position = trainer.Position;
        var meta = new JsonObject
        {
            ["config"] = JsonSerializer.SerializeToNode(trainer.Options.Model, Json),
            ["options"] = JsonSerializer.SerializeToNode(trainer.Options, Json),
            ["sample_count"] = trainer.SampleCount,
            ["iteration"] = trainer.Iteration,
            ["phase_index"] = position.PhaseIndex,
            ["resolution"] = position.Phase.Resolution,
            ["alpha"] = position.Alpha,
            ["rng"] = new JsonObject
            {
                ["scheme"] = "every iteration reseeds the trainer's generator (rng.trainer) with SplitMix64(seed, iteration); data order and mirroring are SplitMix64(seed, sample)",
                ["seed"] = trainer.Options.Seed,
                ["next_iteration"] = trainer.Iteration,
            },
            ["parameters"] = trainer.Network.parameters().Sum(p => p.NumberOfElements),
        };
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        tensors.AddRange(trainer.Network.state_dict().Select(kv => (kv.Key, kv.Value)));
        tensors.AddRange(trainer.EmaDecoder.state_dict().Select(kv => ("ema." + kv.Key, kv.Value)));
        if (trainer.Robust is not null) tensors.AddRange(trainer.Robust.state_dict().Select(kv => ("robust." + kv.Key, kv.Value)));
        tensors.AddRange(trainer.EncoderOptimizer.StateTensors("adam."));
        tensors.AddRange(trainer.DecoderOptimizer.StateTensors("adam."));
        tensors.Add(("rng.trainer", trainer.Generator.get_state()));
        CheckpointFile.Write(path, Kind, meta, tensors);
    }

    /// <summary>Rebuilds a trainer from a training checkpoint and restores all of its state.</summary>
    /// <param name="registry">Supplies the plugin block types of the model (needed when it has plugin blocks).</param>
    public static Trainer Resume(string path, Device? device = null, IEnumerable<ILossTerm>? extraTerms = null, ComponentRegistry? registry = null)
    {
        var file = CheckpointFile.Read(path);
        try
        {
            if (file.Kind != Kind) throw new CheckpointException(path, $"it is a '{file.Kind}' checkpoint, not a training checkpoint; only training checkpoints can be resumed.");
            var options = ReadOptions(file, path);
            // The options hold the resolved model (base configuration + plugin blocks); the weights come from this file.
            var trainer = Trainer.Restore(options, device, extraTerms, registry);
            try
            {
                var t = file.Tensors;
                ModelCheckpoint.LoadState(trainer.Encoder, t, path, "encoder.");
                ModelCheckpoint.LoadState(trainer.Decoder, t, path, "decoder.");
                ModelCheckpoint.LoadState(trainer.EmaDecoder, t, path, "ema.");
                if (trainer.Robust is not null) ModelCheckpoint.LoadState(trainer.Robust, t, path, "robust.");
                trainer.EncoderOptimizer.LoadState(t, "adam.", path);
                trainer.DecoderOptimizer.LoadState(t, "adam.", path);
                if (t.TryGetValue("rng.trainer", out var rng)) trainer.Generator.set_state(rng);
                trainer.SampleCount = file.Metadata["sample_count"]?.GetValue<long>() ?? throw new CheckpointException(path, "it has no sample count.");
                trainer.Iteration = file.Metadata["iteration"]?.GetValue<long>() ?? throw new CheckpointException(path, "it has no iteration count.");
                return trainer;
            }
            catch
            {
                trainer.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in file.Tensors.Values) t.Dispose();
        }
    }

    public static TrainingOptions ReadOptions(CheckpointFile file, string path)
    {
        var node = file.Metadata["options"] ?? throw new CheckpointException(path, "it holds no training options.");
        try { return (node.Deserialize<TrainingOptions>(Json) ?? throw new JsonException("null")).Resolve(); }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        { throw new CheckpointException(path, $"its training options are invalid ({e.Message})."); }
    }

    /// <summary>The model a training checkpoint holds, for sampling and edits: its encoder and its EMA decoder.</summary>
    public static AutomodulatorNetwork ModelFrom(CheckpointFile file, string path, ComponentRegistry? registry = null)
    {
        var config = ModelCheckpoint.ReadConfig(file, path);
        var net = new AutomodulatorNetwork(config, registry);
        try
        {
            ModelCheckpoint.LoadState(net.Encoder, file.Tensors, path, "encoder.");
            ModelCheckpoint.LoadState(net.Decoder, file.Tensors, path, "ema.");
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>Writes the EMA model as a plain model checkpoint (what `automod sample --checkpoint` and edits load).</summary>
    public static void ExportModel(Trainer trainer, string path)
    {
        using var net = new AutomodulatorNetwork(trainer.Options.Model, trainer.Registry);
        using (no_grad())
        {
            var state = net.state_dict();
            foreach (var (k, v) in trainer.Encoder.state_dict()) state["encoder." + k].copy_(v);
            foreach (var (k, v) in trainer.EmaDecoder.state_dict()) state["decoder." + k].copy_(v);
        }
        ModelCheckpoint.Save(net, path, new JsonObject { ["trained_samples"] = trainer.SampleCount, ["decoder"] = "ema" });
    }
}
