using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Automodulator.Abstractions;
using Automodulator.Abstractions.Data;
using Automodulator.Core.Registry;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>The schedule is done; model.amod was written.</summary>
    Finished,

    /// <summary>Stopped on request (Ctrl+C, SIGTERM, an iteration limit); a checkpoint was written to resume from.</summary>
    Interrupted,
}

/// <summary>
/// A training run in a run folder: starts or resumes a <see cref="Trainer"/>, feeds it from a <see cref="BatchProducer"/>,
/// logs every iteration's loss terms (read back in groups, so no per-step host sync), writes checkpoints every N
/// samples and when stopped, picture grids every N samples, and the EMA model at the end.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private readonly RunFolder _folder;
    private readonly IImageSet _data;
    private readonly ITrainingMonitor? _monitor;
    private readonly Trainer _trainer;
    private readonly List<StepResult> _pending = [];
    private Tensor? _fixedLatents;

    private TrainingRun(RunFolder folder, Trainer trainer, IImageSet data, ITrainingMonitor? monitor)
    {
        _folder = folder;
        _trainer = trainer;
        _data = data;
        _monitor = monitor;
    }

    public Trainer Trainer => _trainer;
    public RunFolder Folder => _folder;

    /// <summary>Share of the last <see cref="Run"/>'s wall time spent waiting for the data channel.</summary>
    public double DataWaitShare { get; private set; }

    /// <summary>Starts a new run in <paramref name="runDirectory"/> (which must not hold checkpoints yet).</summary>
    /// <param name="registry">Supplies plugin block types (the base model's and <see cref="TrainingOptions.PluginBlocks"/>).</param>
    public static TrainingRun Start(string runDirectory, TrainingOptions options, IImageSet data, Device? device = null,
        ITrainingMonitor? monitor = null, IEnumerable<ILossTerm>? extraTerms = null, ComponentRegistry? registry = null)
    {
        var folder = new RunFolder(runDirectory);
        if (folder.Checkpoints().Count > 0)
            throw new ArgumentException($"{folder.Path} already holds a training run. Resume it with --resume, or choose another --out folder.");
        // The trainer resolves the options (a base model's configuration and identity included): record what it runs.
        var trainer = Trainer.Create(options, device, extraTerms, registry);
        try
        {
            folder.WriteOptions(trainer.Options);
            if (File.Exists(folder.LogFile)) File.Delete(folder.LogFile);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        if (trainer.Options.BaseModel is not null)
            monitor?.OnMessage($"base {trainer.Options.BaseModel} (identity {trainer.Options.Model.BaseIdentity![..12]}…), plugin blocks " +
                               $"{string.Join(", ", trainer.Options.PluginBlocks.Select(p => $"{p.ResolvedKey} ({p.Type} after {p.After})"))}" +
                               (trainer.Options.AppendBlock is null ? "" : $", appended {trainer.Options.Model.AppendedBlocks[^1].Key} block ({trainer.Options.Model.AppendedBlocks[^1].Type}, fading in from {trainer.Options.Model.MaxResolution / 2}×{trainer.Options.Model.MaxResolution / 2})") +
                               $", training {trainer.Options.TrainOnly} " +
                               $"({trainer.Network.parameters().Where(p => p.requires_grad).Sum(p => p.NumberOfElements)} of {trainer.Network.parameters().Sum(p => p.NumberOfElements)} parameters)");
        return new TrainingRun(folder, trainer, data, monitor);
    }

    /// <summary>Resumes the run in <paramref name="runDirectory"/> from its newest intact checkpoint.</summary>
    public static TrainingRun Resume(string runDirectory, IImageSet data, Device? device = null, ITrainingMonitor? monitor = null,
        IEnumerable<ILossTerm>? extraTerms = null, ComponentRegistry? registry = null)
    {
        var folder = new RunFolder(runDirectory);
        if (!Directory.Exists(folder.Path)) throw new DirectoryNotFoundException($"There is no run folder {folder.Path} to resume.");
        var latest = folder.LatestLoadableCheckpoint(m => monitor?.OnMessage(m))
                     ?? throw new ArgumentException($"{folder.Path} has no intact training checkpoint to resume from (looked in {folder.CheckpointFolder}).");
        var trainer = TrainingCheckpoint.Resume(latest, device, extraTerms, registry);
        folder.TruncateLog(trainer.Iteration);
        folder.DeleteInterruptedWrites();
        monitor?.OnMessage($"resuming from {Path.GetFileName(latest)} at {trainer.SampleCount} samples (iteration {trainer.Iteration})");
        return new TrainingRun(folder, trainer, data, monitor);
    }

    /// <summary>
    /// Trains until the schedule is done, <paramref name="stop"/> is signalled, or <paramref name="maxIterations"/>
    /// more iterations have run; then writes a checkpoint (and, when finished, the grids and model.amod).
    /// </summary>
    public RunOutcome Run(CancellationToken stop = default, long? maxIterations = null)
    {
        var options = _trainer.Options;
        var schedule = options.Schedule;
        using var producer = new BatchProducer(_data, schedule, options.Seed, _trainer.SampleCount, options.PrefetchBatches,
            options.HeldOutImages, options.MirrorAugment, options.Objective.Invariance);
        var wall = Stopwatch.StartNew();
        var waited = TimeSpan.Zero;
        long startSamples = _trainer.SampleCount, startIteration = _trainer.Iteration;
        long nextCheckpoint = NextMultiple(_trainer.SampleCount, options.CheckpointEverySamples);
        long nextGrid = NextMultiple(_trainer.SampleCount, options.SnapshotEverySamples);
        bool finished = false;
        try
        {
            while (true)
            {
                if (stop.IsCancellationRequested || (maxIterations is { } max && _trainer.Iteration - startIteration >= max)) break;
                var batch = producer.Take(out var wait);
                waited += wait;
                if (batch is null) { finished = true; break; }
                using (batch) _pending.Add(_trainer.Step(batch));
                if (_pending.Count >= options.LogFlushEveryIterations) FlushLog();
                var position = _trainer.Position;
                double rate = (_trainer.SampleCount - startSamples) / Math.Max(1e-9, wall.Elapsed.TotalSeconds);
                _monitor?.OnProgress(new TrainingProgress(_trainer.SampleCount, schedule.TotalSamples, _trainer.Iteration, position.PhaseIndex,
                    schedule.Phases.Count, position.Phase.Resolution, position.Alpha, rate, wall.Elapsed, waited));
                if (options.CheckpointEverySamples > 0 && _trainer.SampleCount >= nextCheckpoint)
                {
                    Checkpoint();
                    nextCheckpoint = NextMultiple(_trainer.SampleCount, options.CheckpointEverySamples);
                }
                if (options.SnapshotEverySamples > 0 && _trainer.SampleCount >= nextGrid)
                {
                    WriteGrids();
                    nextGrid = NextMultiple(_trainer.SampleCount, options.SnapshotEverySamples);
                }
            }
        }
        finally
        {
            DataWaitShare = wall.Elapsed.TotalSeconds > 0 ? waited.TotalSeconds / wall.Elapsed.TotalSeconds : 0;
            FlushLog();
        }
        Checkpoint();
        if (finished)
        {
            WriteGrids();
            TrainingCheckpoint.ExportModel(_trainer, _folder.ModelFile);
            _monitor?.OnMessage($"finished: {_trainer.SampleCount} samples; model written to {_folder.ModelFile}");
            return RunOutcome.Finished;
        }
        _monitor?.OnMessage($"stopped at {_trainer.SampleCount} samples; resume with --resume {_folder.Path}");
        return RunOutcome.Interrupted;
    }

    private static long NextMultiple(long current, long every) => every <= 0 ? long.MaxValue : (current / every + 1) * every;

    /// <summary>Writes a checkpoint now and keeps the newest K.</summary>
    public string Checkpoint()
    {
        var path = _folder.CheckpointPath(_trainer.SampleCount);
        TrainingCheckpoint.Save(_trainer, path);
        _folder.Prune(_trainer.Options.KeepCheckpoints);
        return path;
    }

    /// <summary>Reads back the pending iterations' values (one sync) and appends them to log.jsonl.</summary>
    private void FlushLog()
    {
        if (_pending.Count == 0) return;
        var sb = new StringBuilder();
        IReadOnlyDictionary<string, double>? last = null;
        using (var all = stack(_pending.Select(p => p.Values).ToArray()).to(ScalarType.Float64).cpu())
        {
            var values = all.data<double>().ToArray();
            int width = _trainer.ValueNames.Count;
            for (int i = 0; i < _pending.Count; i++)
            {
                var p = _pending[i];
                var line = new Dictionary<string, object>
                {
                    ["iteration"] = p.Iteration, ["samples"] = p.SamplesAfter, ["phase"] = p.PhaseIndex,
                    ["resolution"] = p.Resolution, ["alpha"] = Math.Round(p.Alpha, 6), ["lr"] = p.LearningRate,
                };
                var losses = new Dictionary<string, double>();
                for (int k = 0; k < width; k++) losses[p.Names[k]] = values[i * width + k];
                foreach (var (k, v) in losses) line[k] = double.IsFinite(v) ? v : double.NaN.ToString(CultureInfo.InvariantCulture);
                sb.Append(JsonSerializer.Serialize(line)).Append('\n');
                last = losses;
            }
        }
        Directory.CreateDirectory(_folder.Path);
        File.AppendAllText(_folder.LogFile, sb.ToString());
        if (last is not null) _monitor?.OnLosses(_pending[^1].Iteration, last);
        foreach (var p in _pending) p.Dispose();
        _pending.Clear();
    }

    /// <summary>The held-out images at <paramref name="resolution"/> as [H, 3, R, R] in [-1, 1].</summary>
    public Tensor HeldOut(int resolution)
    {
        int h = Math.Min(_trainer.Options.HeldOutImages, _data.Count);
        if (h == 0) throw new InvalidOperationException("No held-out images (HeldOutImages = 0).");
        var data = new float[h * 3 * resolution * resolution];
        var rgb = new byte[resolution * resolution * 3];
        int pixels = resolution * resolution;
        for (int i = 0; i < h; i++)
        {
            _data.Read(_data.Count - h + i, resolution, rgb);
            for (int p = 0; p < pixels; p++)
                for (int c = 0; c < 3; c++)
                    data[i * 3 * pixels + c * pixels + p] = rgb[p * 3 + c] / 127.5f - 1f;
        }
        return tensor(data, [h, 3, resolution, resolution]);
    }

    private void WriteGrids()
    {
        if (_monitor is null || _trainer.Options.HeldOutImages < 1) return;
        using var scope = NewDisposeScope();
        if (_fixedLatents is null)
        {
            using var generator = new Generator((ulong)_trainer.Options.Seed ^ 0x5A3D1E5UL);
            _fixedLatents = nn.functional.normalize(randn([16, _trainer.Options.Model.LatentDim], generator: generator), dim: 1).DetachFromDisposeScope();
        }
        var grids = _trainer.Grids(HeldOut(_trainer.Position.Phase.Resolution), _fixedLatents);
        try { _monitor.OnGrids(_folder.GridFolder, _trainer.SampleCount, grids); }
        finally { foreach (var g in grids) g.Images.Dispose(); }
    }

    public void Dispose()
    {
        foreach (var p in _pending) p.Dispose();
        _pending.Clear();
        _fixedLatents?.Dispose();
        _trainer.Dispose();
    }
}
