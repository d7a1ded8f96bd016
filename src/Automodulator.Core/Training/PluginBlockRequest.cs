using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;

namespace Automodulator.Core.Training;

/// <summary>
/// A plugin block a training run adds to its model: the block type, the block it follows and its state-dict key.
/// Written as <c>TYPE@AFTER[:KEY]</c> on the command line (e.g. <c>modulated-residual@16x16</c>). Unlike a
/// <see cref="PluginBlockConfig"/> it does not name the plugin: that comes from the registry that provides the type.
/// </summary>
public sealed partial record PluginBlockRequest
{
    /// <summary>The registered block type (e.g. "modulated-residual").</summary>
    public required string Type { get; init; }

    /// <summary>Key of the block it follows (e.g. "16x16").</summary>
    public required string After { get; init; }

    /// <summary>State-dict key of the new block; default "TYPE-AFTER" (e.g. "modulated-residual-16x16").</summary>
    public string? Key { get; init; }

    /// <summary>Free-form options handed to the block factory.</summary>
    public Dictionary<string, string> Options { get; init; } = [];

    /// <summary>The key the block gets in the decoder.</summary>
    [JsonIgnore]
    public string ResolvedKey => string.IsNullOrWhiteSpace(Key) ? $"{Type}-{After}" : Key;

    [GeneratedRegex(@"^(?<type>[A-Za-z0-9_.\-]+)@(?<after>[A-Za-z0-9_\-]+)(:(?<key>[A-Za-z0-9_\-]+))?$")]
    private static partial Regex Syntax();

    /// <summary>Parses <c>TYPE@AFTER[:KEY]</c>.</summary>
    public static PluginBlockRequest Parse(string text)
    {
        var m = Syntax().Match(text.Trim());
        if (!m.Success)
            throw new ArgumentException($"Plugin block '{text}' should read TYPE@AFTER[:KEY], e.g. modulated-residual@16x16 or modulated-residual@16x16:residual16.");
        return new PluginBlockRequest
        {
            Type = m.Groups["type"].Value, After = m.Groups["after"].Value,
            Key = m.Groups["key"].Success ? m.Groups["key"].Value : null,
        };
    }

    /// <summary>The model-configuration entry, with the plugin name taken from the registry that provides the type.</summary>
    public PluginBlockConfig ToConfig(ComponentRegistry? registry)
    {
        if (registry is null || !registry.HasBlock(Type))
        {
            var known = registry?.Components.Where(c => c.Kind == ComponentKind.Block).Select(c => c.Name) ?? [];
            throw new ArgumentException($"No loaded plugin provides decoder block type '{Type}' (known: {string.Join(", ", known)}). " +
                                        "Put its plugin under plugins/<Name>/<Name>.dll or pass --plugins DIR.");
        }
        return new PluginBlockConfig { Key = ResolvedKey, Type = Type, Plugin = registry.BlockInfo(Type).Origin, After = After, Options = new(Options) };
    }
}
