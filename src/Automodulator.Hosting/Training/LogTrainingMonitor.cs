using Automodulator.Core.Training;
using Microsoft.Extensions.Logging;

namespace Automodulator.Hosting.Training;

/// <summary>
/// A training monitor for unattended runs: progress and losses as log lines every few seconds, grids written as PNGs
/// (the same files as the console monitor).
/// </summary>
public sealed class LogTrainingMonitor(ILogger log) : ITrainingMonitor
{
    private readonly ConsoleTrainingMonitor _grids = new(TextWriter.Null, interactive: false);
    private DateTime _last = DateTime.MinValue;
    private IReadOnlyDictionary<string, double>? _losses;

    public void OnProgress(TrainingProgress p)
    {
        if ((DateTime.UtcNow - _last).TotalSeconds < 10 && p.SampleCount < p.TotalSamples) return;
        _last = DateTime.UtcNow;
        log.LogInformation("train {Samples}/{Total} samples, phase {Phase}/{Phases} {Res}x{Res} α {Alpha:F2}, {Rate:F1} samples/s, ETA {Eta}{Losses}",
            p.SampleCount, p.TotalSamples, p.PhaseIndex + 1, p.PhaseCount, p.Resolution, p.Resolution, p.Alpha, p.SamplesPerSecond,
            p.Eta is { } e ? e.ToString(@"hh\:mm\:ss") : "?",
            _losses is null ? "" : " | " + string.Join(" ", _losses.Take(6).Select(kv => $"{kv.Key} {kv.Value:G3}")));
    }

    public void OnLosses(long iteration, IReadOnlyDictionary<string, double> losses) => _losses = losses;

    public void OnGrids(string folder, long sampleCount, IReadOnlyList<ImageGridData> grids) => _grids.OnGrids(folder, sampleCount, grids);

    public void OnMessage(string message) => log.LogInformation("{Message}", message);
}
