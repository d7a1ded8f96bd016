using Spectre.Console;

namespace Automodulator.Hosting.Ingest;

/// <summary>
/// Shows a run's progress: a Spectre.Console bar with items/s, ETA and rejects on an interactive terminal, a log line
/// every few seconds otherwise (CI logs, redirected output).
/// </summary>
public static class IngestProgressDisplay
{
    public static async Task<IngestSummary> RunAsync(string title, Func<IProgress<IngestProgress>, Task<IngestSummary>> run)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
        {
            var last = DateTime.MinValue;
            var lines = new Callback(p =>
            {
                if ((DateTime.UtcNow - last).TotalSeconds < 5 && p.Eta != TimeSpan.Zero) return;
                last = DateTime.UtcNow;
                Console.Error.WriteLine(Describe(title, p));
            });
            return await run(lines);
        }
        IngestSummary? summary = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                var bar = new Callback(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                    task.Description = Markup.Escape(Describe(title, p));
                });
                summary = await run(bar);
                task.StopTask();
            });
        return summary!;
    }

    private static string Describe(string title, IngestProgress p) =>
        $"{title}: {p.Done}/{p.Total}, {p.ItemsPerSecond:F1} items/s, rejects {p.Rejected}, shards {p.ShardsCommitted}" +
        (p.Eta is { } eta && eta > TimeSpan.Zero ? $", ETA {eta:hh\\:mm\\:ss}" : "") + (p.Stopping ? " (stopping after this shard)" : "");

    private sealed class Callback(Action<IngestProgress> action) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => action(value);
    }
}
