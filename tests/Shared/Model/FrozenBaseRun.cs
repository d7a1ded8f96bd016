using Automodulator.Abstractions.Data;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using Automodulator.Core.Training;
using static Automodulator.Tests.Shared.ModelTestSupport;
using static TorchSharp.torch;

namespace Automodulator.Tests.Shared;

/// <summary>
/// A fine-tune on a frozen base, run once for a test class: a base model (seed 11) saved as base.amod, a training run
/// from it with <paramref name="options"/>, and snapshots of the state before and after, so tests can compare every
/// base tensor bit for bit (linked into the Core and Hosting tests).
/// </summary>
public abstract class FrozenBaseRun : IDisposable
{
    protected FrozenBaseRun(string tempPrefix, ModelConfig baseConfig, Func<string, TrainingOptions> options, IImageSet data,
        ComponentRegistry? registry = null)
    {
        Dir = Directory.CreateTempSubdirectory(tempPrefix).FullName;
        using (var baseNet = AutomodulatorNetwork.Create(baseConfig, seed: 11)) ModelCheckpoint.Save(baseNet, BasePath);
        BaseState = Snapshot(CheckpointFile.Read(BasePath).Tensors);
        using var run = TrainingRun.Start(Path.Combine(Dir, "run"), options(BasePath), data, registry: registry);
        var trainer = run.Trainer;
        Initial = Snapshot(trainer.Network.state_dict());
        EncoderOptimised = !trainer.EncoderOptimizer.IsEmpty;
        DecoderOptimisedElements = trainer.DecoderOptimizer.Parameters.Sum(p => p.NumberOfElements);
        var optimised = trainer.EncoderOptimizer.Parameters.Concat(trainer.DecoderOptimizer.Parameters).Select(p => p.Handle).ToHashSet();
        Optimised = trainer.Network.named_parameters().Where(p => optimised.Contains(p.parameter.Handle)).Select(p => p.name).ToHashSet();
        Outcome = run.Run();
        Live = Snapshot(trainer.Network.state_dict());
        Ema = Snapshot(trainer.EmaDecoder.state_dict().ToDictionary(kv => "decoder." + kv.Key, kv => kv.Value));
        ModelPath = run.Folder.ModelFile;
        LogFile = run.Folder.LogFile;
    }

    public string Dir { get; }
    public string BasePath => Path.Combine(Dir, "base.amod");
    public string ModelPath { get; }
    public string LogFile { get; }
    public RunOutcome Outcome { get; }
    public IReadOnlyDictionary<string, Tensor> BaseState { get; }
    public IReadOnlyDictionary<string, Tensor> Initial { get; }
    public IReadOnlyDictionary<string, Tensor> Live { get; }
    public IReadOnlyDictionary<string, Tensor> Ema { get; }

    /// <summary>Whether the encoder's optimiser held anything (encoder or robust-loss parameters).</summary>
    public bool EncoderOptimised { get; }

    /// <summary>Elements of the parameters the decoder's optimiser held.</summary>
    public long DecoderOptimisedElements { get; }

    /// <summary>State-dict names of the network parameters the run's optimisers held.</summary>
    public IReadOnlySet<string> Optimised { get; }

    public void Dispose()
    {
        foreach (var d in new[] { BaseState, Initial, Live, Ema })
            foreach (var t in d.Values) t.Dispose();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
