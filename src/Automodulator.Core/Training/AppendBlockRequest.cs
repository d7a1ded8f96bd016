using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;

namespace Automodulator.Core.Training;

/// <summary>
/// A resolution block a training run appends on top of its base model (R → 2R): the decoder block type at 2R
/// ("builtin" for the core's own modulated-conv block, or a plugin's block type) and the new level's channel widths.
/// Written as <c>--append-block TYPE</c> on the command line. Unlike an <see cref="AppendedBlockConfig"/> it names
/// neither the resolution nor the plugin: those come from the base model and the registry.
/// </summary>
public sealed partial record AppendBlockRequest
{
    /// <summary>What <c>--append-block</c> accepts for the built-in block.</summary>
    public const string BuiltIn = "builtin";

    /// <summary>"builtin", "modulated-conv" (the same) or a registered plugin block type.</summary>
    public required string Type { get; init; }

    /// <summary>Decoder width of the new level (default: the base's width at its top level).</summary>
    public int? DecoderChannels { get; init; }

    /// <summary>Encoder width of the new level (default: the base's width at its top level).</summary>
    public int? EncoderChannels { get; init; }

    /// <summary>Free-form options handed to the block factory (the built-in block reads "layers").</summary>
    public Dictionary<string, string> Options { get; init; } = [];

    /// <summary>The registered type the request stands for.</summary>
    [JsonIgnore]
    public string ResolvedType => Type.Equals(BuiltIn, StringComparison.OrdinalIgnoreCase) ? ModulatedConvBlock.TypeName : Type;

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex Syntax();

    /// <summary>Parses <c>TYPE</c> ("builtin" or a block type), with one width for both sides of the new level if given.</summary>
    public static AppendBlockRequest Parse(string text, int? channels = null)
    {
        var type = text.Trim();
        if (!Syntax().IsMatch(type))
            throw new ArgumentException($"Append block '{text}' should be a block type: builtin (the core's modulated-conv block) or a plugin's type, e.g. modulated-residual.");
        if (channels is < 1) throw new ArgumentException($"The appended level's channel width must be positive (got {channels}).");
        return new AppendBlockRequest { Type = type, DecoderChannels = channels, EncoderChannels = channels };
    }

    /// <summary>The model-configuration entry at <paramref name="resolution"/>, the plugin named from the registry that provides the type.</summary>
    public AppendedBlockConfig ToConfig(int resolution, ComponentRegistry? registry)
    {
        var type = ResolvedType;
        if (type == ModulatedConvBlock.TypeName && (registry is null || !registry.HasBlock(type) || registry.BlockInfo(type).Origin == ComponentRegistry.BuiltIn))
            return new AppendedBlockConfig { Resolution = resolution, Type = type, Plugin = ComponentRegistry.BuiltIn, Options = new(Options) };
        if (registry is null || !registry.HasBlock(type))
        {
            var known = registry?.Components.Where(c => c.Kind == ComponentKind.Block).Select(c => c.Name) ?? [ModulatedConvBlock.TypeName];
            throw new ArgumentException($"No loaded plugin provides decoder block type '{type}' to append (known: {string.Join(", ", known)}; or builtin). " +
                                        "Put its plugin under plugins/<Name>/<Name>.dll or pass --plugins DIR.");
        }
        return new AppendedBlockConfig { Resolution = resolution, Type = type, Plugin = registry.BlockInfo(type).Origin, Options = new(Options) };
    }
}
