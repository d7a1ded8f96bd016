using System.Text.Json.Serialization;

namespace Automodulator.Core.Model;

/// <summary>
/// Everything needed to build an automodulator; stored in every checkpoint so a model is rebuilt from it alone.
/// Channel lists are indexed by resolution from 4×4 upwards: entry i is the width at 4·2^i.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Name of the preset this came from, if any (informational).</summary>
    public string? Preset { get; init; }

    /// <summary>Largest resolution the model can grow to: a power of two in 4..1024.</summary>
    public int MaxResolution { get; init; } = 64;

    /// <summary>Width of the latent z (paper: 512).</summary>
    public int LatentDim { get; init; } = 512;

    /// <summary>Encoder channels at 4, 8, …, MaxResolution.</summary>
    public int[] EncoderChannels { get; init; } = [];

    /// <summary>Decoder channels at 4, 8, …, MaxResolution.</summary>
    public int[] DecoderChannels { get; init; } = [];

    /// <summary>
    /// Resolution of an extra one-layer modulated block inserted just before that resolution's block (it does the
    /// upsampling), or null. The paper inserts one at 8×8, right after layer 2, for the invariance loss (Sec. 3.3).
    /// </summary>
    public int? ExtraLayerResolution { get; init; }

    /// <summary>Decoder blocks from plugins, inserted in this order after the base blocks are built.</summary>
    public PluginBlockConfig[] PluginBlocks { get; init; } = [];

    /// <summary>
    /// Resolution blocks appended on top of a pretrained base (each one level above the model it grew from), in the order
    /// they were appended. The built-in type is built like any level; a plugin type comes from the registry.
    /// </summary>
    public AppendedBlockConfig[] AppendedBlocks { get; init; } = [];

    /// <summary>
    /// SHA-256 of the base model's state when blocks were added on top of a pretrained model (else null): the identity
    /// of the base the new blocks were trained on (<c>ModelCheckpoint.StateIdentity</c>).
    /// </summary>
    public string? BaseIdentity { get; init; }

    /// <summary>
    /// State-dict prefixes of what was added on top of the base identified by <see cref="BaseIdentity"/> (inserted
    /// plugin blocks, an appended level): every other tensor, taken by name, is the base's, so the identity can be
    /// checked on this model alone (<c>ModelCheckpoint.BaseIdentityOf</c>).
    /// </summary>
    public string[] AddedToBase { get; init; } = [];

    /// <summary>Slope of the leaky ReLUs (paper: 0.2).</summary>
    public double LeakySlope { get; init; } = 0.2;

    /// <summary>Number of resolution levels: 4×4 is level 0.</summary>
    [JsonIgnore]
    public int Levels => Log2(MaxResolution) - 1;

    /// <summary>Resolution of level <paramref name="level"/>.</summary>
    public static int ResolutionOf(int level) => 4 << level;

    /// <summary>Level of resolution <paramref name="resolution"/> (4 → 0).</summary>
    public static int LevelOf(int resolution) => Log2(resolution) - 2;

    /// <summary>Throws a message that says what to fix when the configuration cannot build a model.</summary>
    public ModelConfig Validate()
    {
        if (MaxResolution < 4 || MaxResolution > 1024 || (MaxResolution & (MaxResolution - 1)) != 0)
            throw new ArgumentException($"MaxResolution must be a power of two between 4 and 1024 (got {MaxResolution}).");
        if (LatentDim < 1) throw new ArgumentException($"LatentDim must be positive (got {LatentDim}).");
        if (EncoderChannels.Length != Levels || DecoderChannels.Length != Levels)
            throw new ArgumentException(
                $"A {MaxResolution}×{MaxResolution} model needs {Levels} channel widths (4×4 … {MaxResolution}×{MaxResolution}) " +
                $"for encoder and decoder; got {EncoderChannels.Length} and {DecoderChannels.Length}.");
        if (EncoderChannels.Concat(DecoderChannels).Any(c => c < 1))
            throw new ArgumentException("Channel widths must be positive.");
        if (ExtraLayerResolution is { } r && (r < 8 || r > MaxResolution || (r & (r - 1)) != 0))
            throw new ArgumentException($"ExtraLayerResolution must be a power of two in 8..{MaxResolution} (got {r}).");
        var appended = AppendedBlocks.Select(a => a.Resolution).ToList();
        if (appended.Any(r => r < 8 || r > MaxResolution || (r & (r - 1)) != 0))
            throw new ArgumentException($"Appended blocks must be at powers of two in 8..{MaxResolution} (got {string.Join(", ", appended)}).");
        if (appended.Distinct().Count() != appended.Count)
            throw new ArgumentException($"Two appended blocks share a resolution ({string.Join(", ", appended)}).");
        if (AppendedBlocks.Any(a => string.IsNullOrWhiteSpace(a.Type) || string.IsNullOrWhiteSpace(a.Plugin)))
            throw new ArgumentException("An appended block needs its type and plugin name.");
        return this;
    }

    /// <summary>The block appended at <paramref name="resolution"/>, or null.</summary>
    public AppendedBlockConfig? AppendedAt(int resolution) => AppendedBlocks.FirstOrDefault(a => a.Resolution == resolution);

    private static int Log2(int v) => (int)Math.Round(Math.Log2(v));
}
