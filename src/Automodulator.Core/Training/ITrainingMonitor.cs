namespace Automodulator.Core.Training;

/// <summary>Where a training run reports to: a progress bar, picture grids, messages. All calls come from the training thread.</summary>
public interface ITrainingMonitor
{
    /// <summary>After every iteration (cheap: no loss values, which are read only when logged).</summary>
    void OnProgress(TrainingProgress progress);

    /// <summary>When the loss values of some iterations have been read back (every LogFlushEveryIterations).</summary>
    void OnLosses(long iteration, IReadOnlyDictionary<string, double> losses) { }

    /// <summary>Grids to save, named e.g. "recon", "samples", "mix"; files go under <paramref name="folder"/>.</summary>
    void OnGrids(string folder, long sampleCount, IReadOnlyList<ImageGridData> grids);

    void OnMessage(string message);
}

/// <summary>Where a run stands, for a progress bar.</summary>
public readonly record struct TrainingProgress(long SampleCount, long TotalSamples, long Iteration, int PhaseIndex, int PhaseCount,
    int Resolution, double Alpha, double SamplesPerSecond, TimeSpan Elapsed, TimeSpan DataWait)
{
    /// <summary>Estimated time left at the current speed.</summary>
    public TimeSpan? Eta => SamplesPerSecond > 0 ? TimeSpan.FromSeconds((TotalSamples - SampleCount) / SamplesPerSecond) : null;
}
