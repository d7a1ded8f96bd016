using System.Globalization;

namespace Automodulator.Core.Training;

/// <summary>
/// Schedules named <c>finetune-R</c> (e.g. finetune-16): one phase at R×R without growth or fade-in, for training
/// plugin blocks on a base model that is already trained at R×R. 20k samples, batch 16, learning rate 0.0005 and
/// KL margin 0.5 (the paper's values after the first two resolution steps); override with --samples-per-phase, --batch.
/// </summary>
public static class FineTuneSchedule
{
    public const string Prefix = "finetune-";

    public static ProgressiveSchedule Create(int resolution, long samples = 20_000, int batch = 16) => new ProgressiveSchedule
    {
        Name = Prefix + resolution.ToString(CultureInfo.InvariantCulture),
        Phases = [new SchedulePhase(resolution, samples, 0, batch, 0.0005, 0.5)],
    }.Validate();

    /// <summary>Recognises "finetune-R" with R a power of two ≥ 4.</summary>
    public static bool TryGet(string name, out ProgressiveSchedule schedule)
    {
        schedule = null!;
        if (!name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return false;
        if (!int.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int r) || r < 4 || (r & (r - 1)) != 0)
            throw new ArgumentException($"Schedule '{name}': finetune-R needs R a power of two ≥ 4 (the base model's resolution), e.g. finetune-16.");
        schedule = Create(r);
        return true;
    }
}
