using System.Text.Json.Serialization;

namespace Automodulator.Core.Training;

/// <summary>
/// One phase of progressive growing: train at <see cref="Resolution"/> for <see cref="Samples"/> images, fading the
/// new resolution in linearly over the first <see cref="FadeInShare"/> of the phase (when the previous phase was at a
/// lower resolution), with this phase's batch size, Adam learning rate and KL margin M (paper App. A).
/// </summary>
public sealed record SchedulePhase(int Resolution, long Samples, double FadeInShare, int BatchSize, double LearningRate, double KlMargin)
{
    public SchedulePhase Validate(int index)
    {
        string where = $"Schedule phase {index + 1} ({Resolution}×{Resolution})";
        if (Resolution < 4 || (Resolution & (Resolution - 1)) != 0) throw new ArgumentException($"{where}: the resolution must be a power of two ≥ 4.");
        if (Samples < 1) throw new ArgumentException($"{where}: samples must be positive.");
        if (FadeInShare < 0 || FadeInShare > 1) throw new ArgumentException($"{where}: the fade-in share must be in [0, 1].");
        if (BatchSize < 2) throw new ArgumentException($"{where}: the batch size must be at least 2 (the KL estimate uses batch statistics).");
        if (LearningRate <= 0) throw new ArgumentException($"{where}: the learning rate must be positive.");
        if (KlMargin < 0) throw new ArgumentException($"{where}: the KL margin must be ≥ 0.");
        return this;
    }
}

/// <summary>Where a sample count falls in a schedule: the phase, the position inside it and the fade-in α.</summary>
public readonly record struct SchedulePosition(int PhaseIndex, SchedulePhase Phase, long SampleInPhase, double Alpha, bool IsFinished);

/// <summary>
/// The progressive training schedule as data: phases in order. Resolutions must not decrease and may grow by at
/// most 2× per phase; a phase at the same resolution as the one before it continues without a fade.
/// </summary>
public sealed record ProgressiveSchedule
{
    /// <summary>Name of the preset this came from, if any (informational).</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Resolution of the model before the first phase (a pretrained base), or null for a model trained from scratch.
    /// A first phase one step above it fades in from it like any grown phase (appending a block to a base).
    /// </summary>
    public int? StartResolution { get; init; }

    /// <summary>The phases, in training order.</summary>
    public IReadOnlyList<SchedulePhase> Phases { get; init; } = [];

    /// <summary>Samples over all phases.</summary>
    [JsonIgnore]
    public long TotalSamples => Phases.Sum(p => p.Samples);

    /// <summary>Largest resolution of any phase.</summary>
    [JsonIgnore]
    public int MaxResolution => Phases.Max(p => p.Resolution);

    public ProgressiveSchedule Validate()
    {
        if (Phases.Count == 0) throw new ArgumentException("A schedule needs at least one phase.");
        if (StartResolution is { } start && start != Phases[0].Resolution && 2 * start != Phases[0].Resolution)
            throw new ArgumentException($"The schedule starts from a {start}×{start} model: its first phase must stay at {start}×{start} or double it (got {Phases[0].Resolution}).");
        for (int i = 0; i < Phases.Count; i++)
        {
            Phases[i].Validate(i);
            if (i > 0 && (Phases[i].Resolution < Phases[i - 1].Resolution || Phases[i].Resolution > 2 * Phases[i - 1].Resolution))
                throw new ArgumentException($"Schedule phase {i + 1}: the resolution may only stay or double from one phase to the next " +
                                            $"({Phases[i - 1].Resolution} → {Phases[i].Resolution}).");
        }
        return this;
    }

    /// <summary>The phase that the batch starting at <paramref name="sampleCount"/> belongs to, and its α.</summary>
    public SchedulePosition Locate(long sampleCount)
    {
        long start = 0;
        for (int i = 0; i < Phases.Count; i++)
        {
            var p = Phases[i];
            if (sampleCount < start + p.Samples)
            {
                long inPhase = sampleCount - start;
                return new SchedulePosition(i, p, inPhase, AlphaOf(i, inPhase), false);
            }
            start += p.Samples;
        }
        var last = Phases[^1];
        return new SchedulePosition(Phases.Count - 1, last, last.Samples, 1.0, true);
    }

    /// <summary>
    /// Fade-in α: linear from 0 to 1 over the phase's fade-in share, 1 when the resolution did not grow (from the
    /// previous phase, or for the first phase from <see cref="StartResolution"/>).
    /// </summary>
    public double AlphaOf(int phaseIndex, long sampleInPhase)
    {
        var p = Phases[phaseIndex];
        int? before = phaseIndex > 0 ? Phases[phaseIndex - 1].Resolution : StartResolution;
        bool grew = before < p.Resolution;
        if (!grew || p.FadeInShare <= 0) return 1.0;
        double fadeSamples = p.FadeInShare * p.Samples;
        return Math.Min(1.0, sampleInPhase / fadeSamples);
    }
}
