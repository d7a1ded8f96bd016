using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Automodulator.Hosting.Pipelines;

/// <summary>One step of a pipeline: a unique name, a kind (ingest, train, edit, evaluate) and its options.</summary>
public sealed record PipelineStepDefinition(string Name, string Kind, JsonObject Options)
{
    /// <summary>SHA-256 of the resolved options: a finished step whose options changed runs again.</summary>
    public string OptionsHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Kind + Options.ToJsonString())));
}

/// <summary>
/// A declarative pipeline file (JSON): <c>{"name", "run", "variables": {…}, "steps": [{"name", "kind", "options"}]}</c>.
/// Every string may use <c>${VAR}</c>: the file's variables, then the caller's overrides, then environment
/// variables, and the built-ins <c>${PIPELINE_DIR}</c> (the file's folder), <c>${RUN}</c> (the run folder) and
/// <c>${step:NAME}</c> (that step's output folder, <c>RUN/NAME</c>). A variable's value may use ${…} too (not its own
/// name). Relative paths are relative to the file's folder.
/// </summary>
public sealed partial class PipelineDefinition
{
    public required string Name { get; init; }
    public required string SourcePath { get; init; }
    public required string RunFolder { get; init; }
    public required IReadOnlyList<PipelineStepDefinition> Steps { get; init; }
    public required IReadOnlyDictionary<string, string> Variables { get; init; }

    public string PipelineDirectory => Path.GetDirectoryName(SourcePath)!;

    /// <summary>The output folder of step <paramref name="name"/>.</summary>
    public string StepFolder(string name) => Path.Combine(RunFolder, name);

    /// <summary>A path from the file, made absolute against the file's folder.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(PipelineDirectory, path));

    public static readonly IReadOnlySet<string> Kinds = new HashSet<string>(StringComparer.Ordinal) { "ingest", "train", "edit", "evaluate" };

    public static PipelineDefinition Load(string path, IReadOnlyDictionary<string, string>? overrides = null, string? runFolder = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Pipeline file {path} does not exist.", path);
        var full = Path.GetFullPath(path);
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(full), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })?.AsObject() ?? throw new JsonException("empty file"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new FormatException($"{path} is not a valid pipeline file: {e.Message}"); }

        var dir = Path.GetDirectoryName(full)!;
        var vars = new Dictionary<string, string>(StringComparer.Ordinal) { ["PIPELINE_DIR"] = dir };
        if (root["variables"] is JsonObject v)
            foreach (var (k, val) in v) vars[k] = val?.GetValue<string>() ?? "";
        if (overrides is not null)
            foreach (var (k, val) in overrides) vars[k] = val;

        string name = root["name"]?.GetValue<string>() ?? Path.GetFileNameWithoutExtension(full);
        string run = runFolder ?? Substitute(root["run"]?.GetValue<string>() ?? Path.Combine("..", "runs", name), vars, null, "run");
        run = Path.GetFullPath(Path.IsPathRooted(run) ? run : Path.Combine(dir, run));
        vars["RUN"] = run;

        var steps = new List<PipelineStepDefinition>();
        var stepsNode = root["steps"] as JsonArray ?? throw new FormatException($"{path} has no \"steps\" array.");
        var names = stepsNode.Select(s => s?["name"]?.GetValue<string>()).ToList();
        foreach (var node in stepsNode)
        {
            var step = node as JsonObject ?? throw new FormatException($"{path}: every step must be an object.");
            var stepName = step["name"]?.GetValue<string>() ?? throw new FormatException($"{path}: a step has no \"name\".");
            var kind = step["kind"]?.GetValue<string>() ?? throw new FormatException($"{path}: step '{stepName}' has no \"kind\".");
            if (!Kinds.Contains(kind)) throw new FormatException($"{path}: step '{stepName}' has kind '{kind}'; kinds are {string.Join(", ", Kinds)}.");
            if (!StepName().IsMatch(stepName)) throw new FormatException($"{path}: step name '{stepName}' must be letters, digits, '-' or '_'.");
            if (steps.Any(s => s.Name == stepName)) throw new FormatException($"{path}: two steps are named '{stepName}'.");
            var options = (JsonObject)(step["options"]?.DeepClone() ?? new JsonObject());
            var resolved = (JsonObject)SubstituteNode(options, vars, run, names!, $"step '{stepName}'")!;
            steps.Add(new PipelineStepDefinition(stepName, kind, resolved));
        }
        return new PipelineDefinition { Name = name, SourcePath = full, RunFolder = run, Steps = steps, Variables = vars };
    }

    /// <summary>The resolved pipeline as JSON (written to the run folder).</summary>
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["source"] = SourcePath,
        ["run"] = RunFolder,
        ["variables"] = new JsonObject(Variables.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["steps"] = new JsonArray(Steps.Select(s => (JsonNode)new JsonObject
        {
            ["name"] = s.Name, ["kind"] = s.Kind, ["options"] = s.Options.DeepClone(),
        }).ToArray()),
    };

    private static JsonNode? SubstituteNode(JsonNode? node, IReadOnlyDictionary<string, string> vars, string run, IReadOnlyList<string> steps, string where) => node switch
    {
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(kv.Key, SubstituteNode(kv.Value, vars, run, steps, where)))),
        JsonArray a => new JsonArray(a.Select(x => SubstituteNode(x, vars, run, steps, where)).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var s) => JsonValue.Create(Substitute(s, vars, (run, steps), where)),
        _ => node?.DeepClone(),
    };

    private static string Substitute(string text, IReadOnlyDictionary<string, string> vars, (string Run, IReadOnlyList<string> Steps)? context, string where) =>
        Variable().Replace(text, m =>
        {
            var key = m.Groups[1].Value;
            if (key.StartsWith("step:", StringComparison.Ordinal))
            {
                var step = key[5..];
                if (context is null) throw new FormatException($"${{{key}}} cannot be used in {where}.");
                if (!context.Value.Steps.Contains(step)) throw new FormatException($"{where} refers to ${{{key}}}, but there is no step '{step}'.");
                return Path.Combine(context.Value.Run, step);
            }
            // A variable's value may itself use ${…} (e.g. a default of "${step:base}/model.amod"); never its own name.
            if (vars.TryGetValue(key, out var value))
                return value.Contains("${", StringComparison.Ordinal)
                    ? Substitute(value, vars.Where(kv => kv.Key != key).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), context, where)
                    : value;
            var env = Environment.GetEnvironmentVariable(key);
            if (env is not null) return env;
            throw new FormatException($"{where} uses ${{{key}}}, which is not defined: add it to \"variables\", pass --set {key}=VALUE, or set the environment variable.");
        });

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z0-9_-]+)?)\}")]
    private static partial Regex Variable();

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex StepName();
}
