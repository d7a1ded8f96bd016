using System.Text.Json.Nodes;
using Automodulator.Core.Registry;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Pipelines;

/// <summary>What a step gets to work with.</summary>
public sealed class StepContext
{
    public required PipelineDefinition Pipeline { get; init; }
    public required PipelineStepDefinition Step { get; init; }
    public required StepRecord Record { get; init; }
    public required ILogger Log { get; init; }
    public required Device Device { get; init; }
    public required ComponentRegistry Registry { get; init; }

    /// <summary>This step's output folder (RUN/NAME), created.</summary>
    public string Folder
    {
        get
        {
            var f = Pipeline.StepFolder(Step.Name);
            Directory.CreateDirectory(f);
            return f;
        }
    }

    public JsonObject Options => Step.Options;

    public string? String(string key) => Options[key]?.GetValue<string>();

    public string RequiredString(string key) =>
        String(key) ?? throw new ArgumentException($"Step '{Step.Name}' ({Step.Kind}) needs option \"{key}\".");

    public T Get<T>(string key, T fallback)
    {
        var node = Options[key];
        if (node is null) return fallback;
        try
        {
            // "${VAR}" substitutions arrive as strings: "5000" is a fine count, "true" a fine flag.
            if (typeof(T) != typeof(string) && node is JsonValue v && v.TryGetValue<string>(out var text))
                return System.Text.Json.JsonSerializer.Deserialize<T>(text)!;
            return node.GetValue<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or System.Text.Json.JsonException)
        { throw new ArgumentException($"Step '{Step.Name}': option \"{key}\" should be a {typeof(T).Name}, got {node.ToJsonString()}."); }
    }

    /// <summary>A path option made absolute against the pipeline file's folder.</summary>
    public string? PathOption(string key) => String(key) is { } p ? Pipeline.ResolvePath(p) : null;
}

/// <summary>How a step ended.</summary>
public enum StepOutcome
{
    /// <summary>Complete: a rerun skips it.</summary>
    Done,

    /// <summary>Stopped on request with its work saved: a rerun resumes it.</summary>
    Interrupted,
}

/// <summary>
/// One kind of pipeline step. Runs synchronously on the step's own thread (TorchSharp dispose scopes are
/// thread-static), honouring <paramref name="stop"/> by saving its work and returning Interrupted.
/// </summary>
public interface IPipelineStep
{
    string Kind { get; }

    StepOutcome Run(StepContext context, CancellationToken stop);
}
