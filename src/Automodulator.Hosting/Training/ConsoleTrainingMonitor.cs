using System.Globalization;
using Automodulator.Core.Training;
using Automodulator.Data.Imaging;

namespace Automodulator.Hosting.Training;

/// <summary>
/// The console side of a training run: a one-line progress bar (samples, phase, resolution, α, samples/s, ETA, the
/// latest losses), messages on their own lines, and the trainer's picture grids written as PNGs with ImageGrid.
/// </summary>
public sealed class ConsoleTrainingMonitor(TextWriter output, bool interactive) : ITrainingMonitor
{
    private IReadOnlyDictionary<string, double>? _losses;
    private DateTime _lastDraw = DateTime.MinValue;
    private int _lastWidth;

    public void OnProgress(TrainingProgress p)
    {
        var now = DateTime.UtcNow;
        bool done = p.SampleCount >= p.TotalSamples;
        if (!done && (now - _lastDraw).TotalMilliseconds < (interactive ? 250 : 10_000)) return;
        _lastDraw = now;
        double share = p.TotalSamples > 0 ? (double)p.SampleCount / p.TotalSamples : 0;
        const int width = 24;
        int filled = (int)Math.Round(share * width);
        var bar = new string('#', filled) + new string('.', width - filled);
        string eta = p.Eta is { } e ? Format(e) : "?";
        string losses = _losses is null ? "" :
            $" recon {Get("enc.recon", "enc.l_inv")} kl {Get("kl_real")}/{Get("kl_fake")} zcos {Get("dec.z_cos")} lj {Get("dec.l_j")}";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{bar}] {share * 100,5:F1}% {p.SampleCount}/{p.TotalSamples} phase {p.PhaseIndex + 1}/{p.PhaseCount} {p.Resolution}x{p.Resolution} α {p.Alpha:F2} {p.SamplesPerSecond:F1} samples/s ETA {eta}{losses}");
        if (interactive)
        {
            output.Write("\r" + line.PadRight(_lastWidth));
            _lastWidth = line.Length;
        }
        else output.WriteLine(line);
    }

    private string Get(params string[] names)
    {
        foreach (var n in names)
            if (_losses!.TryGetValue(n, out var v)) return v.ToString("G4", CultureInfo.InvariantCulture);
        return "-";
    }

    public void OnLosses(long iteration, IReadOnlyDictionary<string, double> losses) => _losses = losses;

    public void OnGrids(string folder, long sampleCount, IReadOnlyList<ImageGridData> grids)
    {
        Directory.CreateDirectory(folder);
        foreach (var g in grids)
        {
            var path = Path.Combine(folder, $"{g.Name}-{sampleCount.ToString("D12", CultureInfo.InvariantCulture)}.png");
            ImageGrid.Save(g.Images, g.Rows, g.Columns, path, g.RowLabels, g.ColumnLabels);
        }
    }

    public void OnMessage(string message)
    {
        if (interactive && _lastWidth > 0)
        {
            output.WriteLine();
            _lastWidth = 0;
        }
        output.WriteLine(message);
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes:D2}:{t.Seconds:D2}";
}
