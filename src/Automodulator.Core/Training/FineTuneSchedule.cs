using System.Globalization;

namespace Automodulator.Core.Training;

/// <summary>
/// Schedules for training new blocks on a pretrained base. 20k samples, batch 16, KL margin 0.5 (the paper's value after
/// the first two resolution steps); override with --samples-per-phase, --batch.
/// <list type="bullet">
/// <item><c>finetune-R</c> (e.g. finetune-16): one phase at R×R without growth or fade-in, for plugin blocks inserted
/// into a base trained at R×R; learning rate 0.0005.</item>
/// <item><c>append-R</c> (e.g. append-32): one phase at R×R that fades in from R/2 over its first half, exactly like a
/// progressive-growing phase, for a block appended on a base trained at R/2; learning rate 0.0005 up to 32×32 and
/// 0.001 above (paper App. A).</item>
/// </list>
/// </summary>
public static class FineTuneSchedule
{
    public const string Prefix = "finetune-";
    public const string AppendPrefix = "append-";

    public static ProgressiveSchedule Create(int resolution, long samples = 20_000, int batch = 16) => new ProgressiveSchedule
    {
        Name = Prefix + resolution.ToString(CultureInfo.InvariantCulture),
        Phases = [new SchedulePhase(resolution, samples, 0, batch, 0.0005, 0.5)],
    }.Validate();

    /// <summary>One phase at <paramref name="resolution"/> fading in from resolution / 2 over its first half.</summary>
    public static ProgressiveSchedule Append(int resolution, long samples = 20_000, int batch = 16) => new ProgressiveSchedule
    {
        Name = AppendPrefix + resolution.ToString(CultureInfo.InvariantCulture),
        StartResolution = resolution / 2,
        Phases = [new SchedulePhase(resolution, samples, 0.5, batch, resolution <= 32 ? 0.0005 : 0.001, 0.5)],
    }.Validate();

    /// <summary>Recognises "finetune-R" (R a power of two ≥ 4) and "append-R" (R a power of two ≥ 8).</summary>
    public static bool TryGet(string name, out ProgressiveSchedule schedule)
    {
        schedule = null!;
        bool append = name.StartsWith(AppendPrefix, StringComparison.OrdinalIgnoreCase);
        if (!append && !name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var digits = name.AsSpan(append ? AppendPrefix.Length : Prefix.Length);
        int min = append ? 8 : 4;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int r) || r < min || (r & (r - 1)) != 0)
            throw new ArgumentException(append
                ? $"Schedule '{name}': append-R needs R a power of two ≥ 8 (twice the base model's resolution), e.g. append-32."
                : $"Schedule '{name}': finetune-R needs R a power of two ≥ 4 (the base model's resolution), e.g. finetune-16.");
        schedule = append ? Append(r) : Create(r);
        return true;
    }
}
