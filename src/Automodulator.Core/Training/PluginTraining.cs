using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// Training new blocks on a pretrained base (issue 6, "Plugin layers on a pretrained base"; paper Sec. 5): the run's
/// model is the base model's configuration plus the requested plugin blocks (inserted after a block, at its
/// resolution) and/or one appended level (a new block at twice the base's resolution with its toRGB, fromRGB and
/// encoder block, faded in as in progressive growing); every base tensor is copied from the base (strictly), the
/// base's identity is recorded in the configuration, and with <c>TrainOnly = "plugins"</c> only the new tensors'
/// parameters are optimised.
/// </summary>
public static class PluginTraining
{
    /// <summary>Train every parameter (the default).</summary>
    public const string TrainAll = "all";

    /// <summary>Train only what the run adds (plugin blocks, an appended level); the base stays bit-identical.</summary>
    public const string TrainPlugins = "plugins";

    /// <summary>
    /// The options with their model resolved: with a <see cref="TrainingOptions.BaseModel"/>, the base's configuration
    /// (the options' own model is ignored) with <see cref="ModelConfig.BaseIdentity"/> set, grown by the
    /// <see cref="TrainingOptions.AppendBlock"/> level if any, then the requested plugin blocks inserted, and
    /// <see cref="ModelConfig.AddedToBase"/> naming what the run adds. Without a base, plugin blocks whose key the model
    /// already has are left as they are, so resolving twice changes nothing. Reads the base model file when there is one.
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
        if (options.BaseModel is not { } path)
        {
            if (options.AppendBlock is not null) throw new ArgumentException("Appending a block needs a base model to grow (--base-model M.amod).");
            var added = options.PluginBlocks.Where(r => options.Model.PluginBlocks.All(b => b.Key != r.ResolvedKey)).Select(r => r.ToConfig(registry)).ToArray();
            return added.Length == 0 ? options : options with { Model = options.Model with { PluginBlocks = [.. options.Model.PluginBlocks, .. added] } };
        }
        if (!File.Exists(path))
            throw new FileNotFoundException($"The base model {path} does not exist. Give the model.amod of a finished training run.");
        baseNet = ModelCheckpoint.Load(path, registry);
        try
        {
            var model = baseNet.Config with { BaseIdentity = ModelCheckpoint.StateIdentity(baseNet), AddedToBase = [] };
            if (options.Objective.Invariance && model.ExtraLayerResolution is null)
                throw new ArgumentException($"L_inv needs the extra 8×8 layer, which the base model {path} does not have; train without --invariance.");
            var taken = options.PluginBlocks.Where(r => model.PluginBlocks.Any(b => b.Key == r.ResolvedKey)).Select(r => r.ResolvedKey).ToList();
            if (taken.Count > 0)
                throw new ArgumentException($"The base model {path} already has a plugin block named {string.Join(", ", taken)}; give the new one its own key with TYPE@AFTER:KEY.");
            // Appended first, so a plugin block may also follow the new level.
            var grown = options.AppendBlock is { } append ? Grow(model, append, registry) : model;
            var added = options.PluginBlocks.Select(r => r.ToConfig(registry)).ToArray();
            // What this run adds on the base, by state-dict prefix: the base's identity covers everything else.
            var prefixes = added.Select(b => $"decoder.blocks.{b.Key}.").ToList();
            if (grown.MaxResolution > model.MaxResolution) prefixes.AddRange(AppendedBlockConfig.StatePrefixesAt(grown.MaxResolution));
            grown = grown with { PluginBlocks = [.. grown.PluginBlocks, .. added], AddedToBase = [.. prefixes] };
            return options with { Model = grown };
        }
        catch
        {
            baseNet.Dispose();
            baseNet = null;
            throw;
        }
    }

    /// <summary>
    /// <paramref name="model"/> grown by one level for <paramref name="request"/>: MaxResolution 2R, one more channel width
    /// each side (default: the top level's), and the appended block recorded with its type and plugin. Encoder and
    /// decoder then build the new level (fromRGB, encoder block, decoder block, toRGB) as in progressive growing.
    /// </summary>
    public static ModelConfig Grow(ModelConfig model, AppendBlockRequest request, ComponentRegistry? registry)
    {
        int r = model.MaxResolution, next = 2 * r;
        if (next > 1024) throw new ArgumentException($"The base model is {r}×{r} already; a block cannot be appended above 1024×1024.");
        int dec = request.DecoderChannels ?? model.DecoderChannels[^1];
        int enc = request.EncoderChannels ?? model.EncoderChannels[^1];
        if (dec < 1 || enc < 1) throw new ArgumentException($"The appended level's channel widths must be positive (got decoder {dec}, encoder {enc}).");
        return (model with
        {
            Preset = model.Preset is { } p ? $"{p}+{next}" : null,
            MaxResolution = next,
            EncoderChannels = [.. model.EncoderChannels, enc],
            DecoderChannels = [.. model.DecoderChannels, dec],
            AppendedBlocks = [.. model.AppendedBlocks, request.ToConfig(next, registry)],
        }).Validate();
    }

    /// <summary>State-dict keys of the plugin blocks this run inserts.</summary>
    public static IReadOnlyCollection<string> NewBlockKeys(TrainingOptions options) => options.PluginBlocks.Select(r => r.ResolvedKey).ToArray();

    /// <summary>
    /// State-dict prefixes of everything this run adds on its base (what <c>TrainOnly = "plugins"</c> trains): the
    /// resolved model's <see cref="ModelConfig.AddedToBase"/>, or for runs resolved before it was recorded, the plugin blocks.
    /// </summary>
    public static IReadOnlyCollection<string> NewTensorPrefixes(TrainingOptions options) => options.Model.AddedToBase.Length > 0
        ? options.Model.AddedToBase
        : NewBlockKeys(options).Select(k => $"decoder.blocks.{k}.").ToArray();

    /// <summary>
    /// Copies every tensor of <paramref name="baseNet"/> into <paramref name="target"/>, strictly: each base tensor
    /// must exist in the target with the same shape, and the target may have nothing else than what the run adds
    /// (tensors under <paramref name="newPrefixes"/>).
    /// </summary>
    internal static void CopyBase(AutomodulatorNetwork target, AutomodulatorNetwork baseNet, IReadOnlyCollection<string> newPrefixes, string basePath)
    {
        var state = target.state_dict();
        var source = baseNet.state_dict();
        var missing = source.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var extra = state.Keys.Where(k => !source.ContainsKey(k) && !AutomodulatorNetwork.IsUnderAny(k, newPrefixes)).ToList();
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
