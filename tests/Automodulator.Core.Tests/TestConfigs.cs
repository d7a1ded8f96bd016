using Automodulator.Core.Model;

namespace Automodulator.Core.Tests;

/// <summary>Tiny configurations that keep tests fast while exercising every code path.</summary>
internal static class TestConfigs
{
    /// <summary>A model of width <paramref name="channels"/> up to <paramref name="maxResolution"/>.</summary>
    public static ModelConfig Tiny(int maxResolution = 16, int channels = 8, int latent = 16, int? extraLayer = null)
    {
        int levels = (int)Math.Log2(maxResolution) - 1;
        return new ModelConfig
        {
            Preset = "test",
            MaxResolution = maxResolution,
            LatentDim = latent,
            EncoderChannels = Enumerable.Repeat(channels, levels).ToArray(),
            DecoderChannels = Enumerable.Repeat(channels, levels).ToArray(),
            ExtraLayerResolution = extraLayer,
        };
    }
}
