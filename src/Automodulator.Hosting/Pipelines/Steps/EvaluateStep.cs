using System.Globalization;
using System.Text.Json;
using Automodulator.Core.Checkpoints;
using Automodulator.Data.Imaging;
using Automodulator.Hosting.Evaluation;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Pipelines.Steps;

/// <summary>
/// kind "evaluate": the ground-truth mixing score on synthetic faces (<see cref="MixingScore"/>) of a trained model.
/// Options: checkpoint, pairs (default 64), seed. Writes evaluation.json.
/// </summary>
public sealed class EvaluateStep : IPipelineStep
{
    public string Kind => "evaluate";

    public StepOutcome Run(StepContext c, CancellationToken stop)
    {
        var checkpoint = c.PathOption("checkpoint") ?? throw new ArgumentException($"Step '{c.Step.Name}' needs option \"checkpoint\".");
        using var net = ModelCheckpoint.Load(checkpoint, c.Registry);
        net.to(c.Device);
        var report = MixingScore.Measure(net.AsAutomodulator(net.Config.MaxResolution, c.Device), c.Get("pairs", 64), c.Get("seed", 12345L));
        var path = Path.Combine(c.Folder, "evaluation.json");
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        c.Record.Outputs["evaluation"] = path;
        c.Record.Outputs["reconstruction_mae"] = report.ReconstructionError.ToString("F2", CultureInfo.InvariantCulture);
        foreach (var s in report.Scales)
        {
            c.Record.Outputs[$"mix_{s.Scale.ToString().ToLowerInvariant()}_mae"] = s.MixError.ToString("F2", CultureInfo.InvariantCulture);
            c.Log.LogInformation("mix {Scale} (layers {Layers}): error {Mix:F2} vs keep-B {KeepB:F2} / take-A {TakeA:F2} (relative {Rel:F2})",
                s.Scale, string.Join(",", s.Layers), s.MixError, s.KeepBError, s.TakeAError, s.Relative);
        }
        c.Log.LogInformation("reconstruction error {Recon:F2} (8-bit levels, mean absolute)", report.ReconstructionError);
        return StepOutcome.Done;
    }
}
