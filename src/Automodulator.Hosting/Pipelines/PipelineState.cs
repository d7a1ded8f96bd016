using System.Text.Json;
using System.Text.Json.Serialization;
using Automodulator.Data.Imaging;

namespace Automodulator.Hosting.Pipelines;

/// <summary>Where a step stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StepStatus>))]
public enum StepStatus
{
    Pending,
    Running,
    Done,
    Interrupted,
    Failed,
}

/// <summary>One step's record in state.json.</summary>
public sealed record StepRecord
{
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public StepStatus Status { get; set; } = StepStatus.Pending;
    public string? OptionsHash { get; set; }
    public DateTimeOffset? Started { get; set; }
    public DateTimeOffset? Finished { get; set; }

    /// <summary>Seconds spent in this step, over all attempts.</summary>
    public double Seconds { get; set; }

    public int Attempts { get; set; }
    public string? Error { get; set; }

    /// <summary>What the step produced worth showing (files relative to the run folder, figures).</summary>
    public Dictionary<string, string> Outputs { get; set; } = [];
}

/// <summary>
/// The run folder's state.json: every step's status, so a rerun skips finished steps (with unchanged options) and
/// resumes an interrupted one. Written atomically after every change.
/// </summary>
public sealed class PipelineState
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public List<StepRecord> Steps { get; set; } = [];

    public static string PathIn(string runFolder) => Path.Combine(runFolder, "state.json");

    public static PipelineState LoadOrCreate(PipelineDefinition pipeline)
    {
        var path = PathIn(pipeline.RunFolder);
        PipelineState state = new();
        if (File.Exists(path))
        {
            try { state = JsonSerializer.Deserialize<PipelineState>(File.ReadAllText(path), Json) ?? new PipelineState(); }
            catch (JsonException e) { throw new FormatException($"{path} is damaged ({e.Message}); delete it to rerun every step."); }
        }
        // Align with the definition: keep records of steps that still exist, in the file's order.
        var records = new List<StepRecord>();
        foreach (var step in pipeline.Steps)
            records.Add(state.Steps.FirstOrDefault(r => r.Name == step.Name && r.Kind == step.Kind) ?? new StepRecord { Name = step.Name, Kind = step.Kind });
        state.Steps = records;
        return state;
    }

    public StepRecord this[string name] => Steps.First(s => s.Name == name);

    public void Save(string runFolder)
    {
        Directory.CreateDirectory(runFolder);
        AtomicFile.WriteAllText(PathIn(runFolder), JsonSerializer.Serialize(this, Json));
    }
}
