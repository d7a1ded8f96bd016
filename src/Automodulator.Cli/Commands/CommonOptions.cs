using System.CommandLine;
using Automodulator.Core.Checkpoints;
using Automodulator.Core.Model;
using Automodulator.Core.Runtime;
using static TorchSharp.torch;

namespace Automodulator.Cli.Commands;

/// <summary>Options shared by several commands, and how they turn into a model and a device.</summary>
public static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "Compute device: auto (CUDA when present), cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads for tensor math (0 = libtorch's default).",
        DefaultValueFactory = _ => 0,
    };

    public static Option<long> Seed() => new("--seed")
    {
        Description = "Random seed (weights of a fresh model, latents, noise).",
        DefaultValueFactory = _ => 0L,
    };

    public static Option<string?> Preset() => new("--preset")
    {
        Description = $"A named configuration: {string.Join(", ", ModelPresets.List().Select(p => p.Name))}.",
    };

    public static Option<string?> Checkpoint() => new("--checkpoint")
    {
        Description = "A model or training checkpoint (.amod) to load instead of a preset.",
    };

    /// <summary>Loads a checkpoint, or builds a freshly initialised model from a preset.</summary>
    /// <param name="registry">Supplies plugin block types a checkpoint needs (built-ins only when null).</param>
    public static AutomodulatorNetwork LoadModel(string? preset, string? checkpoint, long seed, Automodulator.Core.Registry.ComponentRegistry? registry = null)
    {
        if (checkpoint is not null && preset is not null)
            throw new ArgumentException("Give either --preset or --checkpoint, not both.");
        if (checkpoint is not null) return ModelCheckpoint.Load(checkpoint, registry);
        if (preset is null)
            throw new ArgumentException("Give --preset NAME or --checkpoint FILE. Presets: " + string.Join(", ", ModelPresets.List().Select(p => p.Name)) + ".");
        return AutomodulatorNetwork.Create(ModelPresets.Get(preset), seed);
    }

    public static Device ResolveDevice(string device, int threads)
    {
        DeviceSelector.SetThreads(threads);
        return DeviceSelector.Resolve(device);
    }
}
