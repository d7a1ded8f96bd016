using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// Training plugin blocks on a pretrained base (issue 6, "Plugin layers on a pretrained base"; paper Sec. 5): the
/// run's model is the base model's configuration plus the requested plugin blocks, every base tensor is copied from
/// the base (strictly), the base's identity is recorded in the configuration, and with <c>TrainOnly = "plugins"</c>
/// only the new blocks' parameters are optimised.
/// </summary>
public static class PluginTraining
{
    /// <summary>Train every parameter (the default).</summary>
    public const string TrainAll = "all";

    /// <summary>Train only the plugin blocks the run adds; the base stays bit-identical.</summary>
    public const string TrainPlugins = "plugins";

    /// <summary>
    /// The options with their model resolved: with a <see cref="TrainingOptions.BaseModel"/>, the base's configuration
    /// (the options' own model is ignored) with <see cref="ModelConfig.BaseIdentity"/> set; then the requested plugin
    /// blocks added (those whose key the model already has are left as they are, so resolving twice changes nothing).
    /// Reads the base model file when there is one.
    /// </summary>
    public static TrainingOptions ResolveModel(TrainingOptions options, ComponentRegistry? registry)
    {
        var resolved = Prepare(options, registry, out var baseNet);
        baseNet?.Dispose();
        return resolved;
    }

    /// <summary><see cref="ResolveModel"/> that hands back the loaded base network (the caller disposes it).</summary>
    internal static TrainingOptions Prepare(TrainingOptions options, ComponentRegistry? registry, out AutomodulatorNetwork? baseNet)
    {
        baseNet = null;
        var model = options.Model;
        if (options.BaseModel is { } path)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"The base model {path} does not exist. Give the model.amod of a finished training run.");
            baseNet = ModelCheckpoint.Load(path, registry);
            try
            {
                model = baseNet.Config with { BaseIdentity = ModelCheckpoint.StateIdentity(baseNet) };
                if (options.Objective.Invariance && model.ExtraLayerResolution is null)
                    throw new ArgumentException($"L_inv needs the extra 8×8 layer, which the base model {path} does not have; train without --invariance.");
            }
            catch
            {
                baseNet.Dispose();
                baseNet = null;
                throw;
            }
        }
        var added = options.PluginBlocks.Where(r => model.PluginBlocks.All(b => b.Key != r.ResolvedKey)).Select(r => r.ToConfig(registry)).ToArray();
        if (added.Length > 0) model = model with { PluginBlocks = [.. model.PluginBlocks, .. added] };
        return options with { Model = model };
    }

    /// <summary>State-dict keys of the plugin blocks this run adds (what <c>TrainOnly = "plugins"</c> trains).</summary>
    public static IReadOnlyCollection<string> NewBlockKeys(TrainingOptions options) => options.PluginBlocks.Select(r => r.ResolvedKey).ToArray();

    /// <summary>
    /// Copies every tensor of <paramref name="baseNet"/> into <paramref name="target"/>, strictly: each base tensor
    /// must exist in the target with the same shape, and the target may have nothing else than the new blocks'.
    /// </summary>
    internal static void CopyBase(AutomodulatorNetwork target, AutomodulatorNetwork baseNet, IReadOnlyCollection<string> newKeys, string basePath)
    {
        var state = target.state_dict();
        var source = baseNet.state_dict();
        var missing = source.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var extra = state.Keys.Where(k => !source.ContainsKey(k) && !AutomodulatorNetwork.IsUnder(k, newKeys)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new CheckpointException(basePath, "its tensors do not match the base part of the model to train" +
                (missing.Count > 0 ? $"; not in the model: {string.Join(", ", missing.Take(5))}" : "") +
                (extra.Count > 0 ? $"; not in the base: {string.Join(", ", extra.Take(5))}" : "") + ".");
        using var _ = no_grad();
        foreach (var (name, value) in source)
        {
            var t = state[name];
            if (!t.shape.SequenceEqual(value.shape))
                throw new CheckpointException(basePath, $"tensor '{name}' has shape [{string.Join(", ", value.shape)}] but the model to train expects [{string.Join(", ", t.shape)}].");
            t.copy_(value);
        }
    }
}
