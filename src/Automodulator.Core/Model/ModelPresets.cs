namespace Automodulator.Core.Model;

/// <summary>
/// Named configurations. The paper's (App. A/B): encoder 64,128,256,512,512,512,512 from 256×256 down to 4×4;
/// decoder 512,512,512,512,256,128,64 (CelebA-HQ 256) or 512,512,512,512,512,256,128 (FFHQ, LSUN at 256);
/// FFHQ 512 adds a 64-channel block. The small presets are for CPU experiments, tests and the demo.
/// </summary>
public static class ModelPresets
{
    private static readonly int[] PaperEncoder256 = [512, 512, 512, 512, 256, 128, 64];

    private static readonly Dictionary<string, (string Description, Func<ModelConfig> Build)> All = new(StringComparer.OrdinalIgnoreCase)
    {
        ["celebahq256"] = ("paper, CelebA-HQ 256×256", () => Paper("celebahq256", 256, PaperEncoder256, [512, 512, 512, 512, 256, 128, 64])),
        ["ffhq256"] = ("paper, FFHQ 256×256", () => Paper("ffhq256", 256, PaperEncoder256, [512, 512, 512, 512, 512, 256, 128])),
        ["bedrooms256"] = ("paper, LSUN bedrooms 256×256", () => Paper("bedrooms256", 256, PaperEncoder256, [512, 512, 512, 512, 512, 256, 128])),
        ["cars256"] = ("paper, LSUN cars 256×256", () => Paper("cars256", 256, PaperEncoder256, [512, 512, 512, 512, 512, 256, 128])),
        ["ffhq512"] = ("paper, FFHQ 512×512", () => Paper("ffhq512", 512, [.. PaperEncoder256, 64], [512, 512, 512, 512, 512, 256, 128, 64])),
        ["width64"] = ("CPU: 64 channels everywhere, 64×64, z 64 (the reference code's small width)", () => Uniform("width64", 64, 64, 64)),
        ["small32"] = ("CPU: 32 channels, 32×32, z 64 (demo)", () => Uniform("small32", 32, 32, 64)),
        ["tiny16"] = ("CPU: 16 channels, 16×16, z 32 (tests)", () => Uniform("tiny16", 16, 16, 32)),
    };

    /// <summary>Preset names with a one-line description each.</summary>
    public static IEnumerable<(string Name, string Description)> List() => All.Select(kv => (kv.Key, kv.Value.Description));

    public static ModelConfig Get(string name)
    {
        if (All.TryGetValue(name, out var p)) return p.Build().Validate();
        throw new ArgumentException($"Unknown preset '{name}'. Known presets: {string.Join(", ", All.Keys)}.");
    }

    private static ModelConfig Paper(string name, int res, int[] enc, int[] dec) =>
        new() { Preset = name, MaxResolution = res, LatentDim = 512, EncoderChannels = enc, DecoderChannels = dec };

    private static ModelConfig Uniform(string name, int res, int channels, int latent)
    {
        int levels = (int)Math.Log2(res) - 1;
        return new ModelConfig
        {
            Preset = name, MaxResolution = res, LatentDim = latent,
            EncoderChannels = Enumerable.Repeat(channels, levels).ToArray(),
            DecoderChannels = Enumerable.Repeat(channels, levels).ToArray(),
        };
    }
}
