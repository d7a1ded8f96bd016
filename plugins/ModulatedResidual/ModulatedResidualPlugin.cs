using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;

namespace ModulatedResidual;

/// <summary>
/// Registers the "modulated-residual" decoder block type: inserted after a block (same resolution and width) or
/// appended as a new resolution level (upsampling, any width).
/// </summary>
public sealed class ModulatedResidualPlugin : IAutomodulatorPlugin
{
    public const string BlockType = "modulated-residual";

    public string Name => "ModulatedResidual";
    public string Version => "1.1.0";
    public int ContractMajor => ContractVersion.Major;

    public void Register(IComponentRegistry registry) =>
        registry.AddBlock(BlockType, spec =>
        {
            if (!spec.Upsamples && spec.InChannels != spec.OutChannels)
                throw new ArgumentException($"{BlockType} inserted after a block keeps its width: in = out channels (got {spec.InChannels} → {spec.OutChannels}).");
            return new ModulatedResidualBlock(BlockType, spec.InChannels, spec.OutChannels, spec.LatentDim, spec.Upsamples);
        });
}
