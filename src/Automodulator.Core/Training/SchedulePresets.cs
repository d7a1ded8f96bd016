namespace Automodulator.Core.Training;

/// <summary>
/// Named schedules. The paper's (App. A, and the reference code's <c>makeTS</c>): 2.4M samples per phase from 4×4 to
/// 32×32, 10.44M at 64×64, then per data set; the new resolution fades in over the first 1.2M samples of its phase;
/// learning rate 0.0005 up to 32×32 and 0.001 from 64×64; KL margin 2.0 for the first two resolution steps, then 0.5,
/// with the data-set overrides the paper lists (CelebA-HQ 0.2 at 128 and 0.4 at 256; bedrooms 0.2 from 128). Batch
/// sizes are the reference code's single-GPU table (128 up to 16×16, 64 at 32, 32 at 64 and 128, 16 at 256, 4 at 512).
/// The cpu-* presets are small schedules for experiments, tests and benchmarks on a CPU.
/// </summary>
public static class SchedulePresets
{
    private const long Stage = 2_400_000;
    private const long Fade = 1_200_000;

    private static readonly Dictionary<string, (string Description, Func<ProgressiveSchedule> Build)> All = new(StringComparer.OrdinalIgnoreCase)
    {
        ["celebahq"] = ("paper App. A, CelebA-HQ to 256×256", () => Paper("celebahq", (128, 7_460_000, 0.2), (256, 10_000_000, 0.4))),
        ["ffhq"] = ("paper App. A, FFHQ to 512×512", () => Paper("ffhq", (128, 10_640_000, 0.5), (256, 5_020_000, 0.5), (512, 10_000_000, 0.5))),
        ["ffhq256"] = ("paper App. A, FFHQ schedule stopped at 256×256 (with the ffhq256 model)", () => Paper("ffhq256", (128, 10_640_000, 0.5), (256, 10_000_000, 0.5))),
        ["bedrooms"] = ("paper App. A, LSUN bedrooms to 256×256", () => Paper("bedrooms", (128, 9_960_000, 0.2), (256, 10_000_000, 0.2))),
        ["cars"] = ("paper App. A, LSUN cars to 256×256", () => Paper("cars", (128, 9_960_000, 0.5), (256, 10_000_000, 0.5))),
        ["cpu-tiny16"] = ("CPU: 4→16, 6k samples per phase, batch 16 (tests, a quick look)", () => Cpu("cpu-tiny16", 16, 6_000, 16)),
        ["cpu-small32"] = ("CPU: 4→32, 40k samples per phase, batch 16 (demo)", () => Cpu("cpu-small32", 32, 40_000, 16)),
        ["cpu-demo32"] = ("CPU demo: 4→32, 32k samples per phase, batch 32/32/16/16, lr 0.001, KL margin 0.05 (with the cpu-demo objective)", CpuDemo32),
        ["cpu-width64"] = ("CPU: 4→64, 100k samples per phase, batch 16 (width64 model, benchmark)", () => Cpu("cpu-width64", 64, 100_000, 16)),
    };

    public static IEnumerable<(string Name, string Description)> List() =>
        All.Select(kv => (kv.Key, kv.Value.Description)).Append(("finetune-R", "one phase at R×R, no growth (plugin blocks on a pretrained base)"))
            .Append(("append-R", "one phase at R×R fading in from R/2 (a block appended on a pretrained base)"));

    public static ProgressiveSchedule Get(string name)
    {
        if (All.TryGetValue(name, out var p)) return p.Build().Validate();
        if (FineTuneSchedule.TryGet(name, out var fineTune)) return fineTune;
        throw new ArgumentException($"Unknown schedule '{name}'. Known schedules: {string.Join(", ", All.Keys)}.");
    }

    private static int PaperBatch(int resolution) => resolution switch
    {
        <= 16 => 128,
        32 => 64,
        64 or 128 => 32,
        256 => 16,
        _ => 4,
    };

    private static ProgressiveSchedule Paper(string name, params (int Resolution, long Samples, double Margin)[] beyond64)
    {
        var phases = new List<SchedulePhase>();
        int[] early = [4, 8, 16, 32];
        for (int i = 0; i < early.Length; i++)
        {
            int r = early[i];
            // "KL margin 2.0 for the first two resolution steps, then 0.5"; lr 0.0005 up to 32×32.
            phases.Add(new SchedulePhase(r, Stage, i == 0 ? 0 : (double)Fade / Stage, PaperBatch(r), 0.0005, i < 2 ? 2.0 : 0.5));
        }
        // 64×64 runs from 9.6M to 20.04M samples in the reference schedule.
        phases.Add(new SchedulePhase(64, 10_440_000, (double)Fade / 10_440_000, PaperBatch(64), 0.001, 0.5));
        foreach (var (r, samples, margin) in beyond64)
            phases.Add(new SchedulePhase(r, samples, (double)Fade / samples, PaperBatch(r), 0.001, margin));
        return new ProgressiveSchedule { Name = name, Phases = phases };
    }

    /// <summary>
    /// The demo's schedule, for a few thousand iterations on two CPU cores: larger batches where a step is cheap (4×4,
    /// 8×8), a higher learning rate than the paper's 0.0005 (the run is ~1/100 of the paper's length), and the
    /// reference code's small KL margin (its makeTS uses 0, 0, 0.05, …) instead of the paper's 2.0/0.5, which let the
    /// encoder collapse the generated images' latents faster than a short run can recover from.
    /// </summary>
    private static ProgressiveSchedule CpuDemo32() => new()
    {
        Name = "cpu-demo32",
        Phases =
        [
            new SchedulePhase(4, 32_000, 0, 32, 0.001, 0.05),
            new SchedulePhase(8, 32_000, 0.5, 32, 0.001, 0.05),
            new SchedulePhase(16, 32_000, 0.5, 16, 0.001, 0.05),
            new SchedulePhase(32, 32_000, 0.5, 16, 0.001, 0.05),
        ],
    };

    private static ProgressiveSchedule Cpu(string name, int maxResolution, long perPhase, int batch)
    {
        var phases = new List<SchedulePhase>();
        for (int r = 4, i = 0; r <= maxResolution; r *= 2, i++)
            phases.Add(new SchedulePhase(r, perPhase, i == 0 ? 0 : 0.5, batch, 0.0005, i < 2 ? 2.0 : 0.5));
        return new ProgressiveSchedule { Name = name, Phases = phases };
    }
}
