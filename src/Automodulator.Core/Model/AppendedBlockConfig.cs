using Automodulator.Core.Registry;

namespace Automodulator.Core.Model;

/// <summary>
/// A resolution block appended on top of a pretrained base of resolution R: the decoder block at 2R (built-in or from
/// a plugin), recorded in the model's configuration so a checkpoint says what it needs. Its level of the channel lists,
/// its toRGB and the encoder's fromRGB and block at 2R come with it, exactly as in a progressive-growing phase.
/// </summary>
public sealed record AppendedBlockConfig
{
    /// <summary>Output resolution of the block (the base's resolution × 2).</summary>
    public required int Resolution { get; init; }

    /// <summary>The registered block type: "modulated-conv" (the built-in block) or a plugin's type.</summary>
    public required string Type { get; init; }

    /// <summary>Name of the plugin that registers <see cref="Type"/> ("built-in" for the core's own block).</summary>
    public required string Plugin { get; init; }

    /// <summary>Free-form options handed to the block factory.</summary>
    public Dictionary<string, string> Options { get; init; } = [];

    /// <summary>State-dict key of the block and of its toRGB, fromRGB and encoder block ("32x32").</summary>
    public string Key => Encoder.Key(Resolution);

    /// <summary>True for the core's own block, which is built directly (as any progressive level) without a registry.</summary>
    public bool IsBuiltIn => Type == ModulatedConvBlock.TypeName && Plugin == ComponentRegistry.BuiltIn;

    /// <summary>State-dict prefixes of everything the appended level adds: decoder block and toRGB, encoder fromRGB and block.</summary>
    public IReadOnlyList<string> StatePrefixes => StatePrefixesAt(Resolution);

    /// <summary>State-dict prefixes of the level at <paramref name="resolution"/> on both sides of the network.</summary>
    public static IReadOnlyList<string> StatePrefixesAt(int resolution)
    {
        var k = Encoder.Key(resolution);
        return [$"decoder.blocks.{k}.", $"decoder.to_rgb.{k}.", $"encoder.from_rgb.{k}.", $"encoder.blocks.{k}."];
    }
}
