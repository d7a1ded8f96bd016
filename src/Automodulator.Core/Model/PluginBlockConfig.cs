namespace Automodulator.Core.Model;

/// <summary>
/// A decoder block supplied by a plugin, inserted after an existing block: recorded in the model's configuration so
/// a checkpoint says which plugin it needs. The block keeps the resolution and width of the block it follows.
/// </summary>
public sealed record PluginBlockConfig
{
    /// <summary>State-dict key of the block (e.g. "residual16x16"): its parameters are decoder.blocks.KEY.*.</summary>
    public required string Key { get; init; }

    /// <summary>The registered block type (e.g. "modulated-residual").</summary>
    public required string Type { get; init; }

    /// <summary>Name of the plugin that registers <see cref="Type"/>, for the error when it is missing.</summary>
    public required string Plugin { get; init; }

    /// <summary>Key of the block it follows (e.g. "16x16").</summary>
    public required string After { get; init; }

    /// <summary>Free-form options handed to the block factory.</summary>
    public Dictionary<string, string> Options { get; init; } = [];
}

/// <summary>A model needs a plugin block type that no loaded plugin provides (an inserted or an appended block).</summary>
public sealed class MissingPluginException : Exception
{
    public MissingPluginException(PluginBlockConfig block) : this($"decoder block '{block.Key}'", block.Type, block.Plugin) { }

    public MissingPluginException(AppendedBlockConfig block)
        : this($"the appended {block.Resolution}×{block.Resolution} decoder block '{block.Key}'", block.Type, block.Plugin) { }

    private MissingPluginException(string what, string type, string plugin)
        : base($"This model contains {what} of type '{type}' from plugin '{plugin}', which is not loaded. " +
               $"Put the plugin in plugins/{plugin}/{plugin}.dll next to automod, or pass --plugins DIR.")
    {
        BlockType = type;
        Plugin = plugin;
    }

    /// <summary>The block type no loaded plugin provides.</summary>
    public string BlockType { get; }

    /// <summary>The plugin the model names for it.</summary>
    public string Plugin { get; }
}
