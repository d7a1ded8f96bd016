using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;

namespace ModulatedResidual;

/// <summary>Registers the "modulated-residual" decoder block type.</summary>
public sealed class ModulatedResidualPlugin : IAutomodulatorPlugin
{
    public const string BlockType = "modulated-residual";

    public string Name => "ModulatedResidual";
    public string Version => "1.0.0";
    public int ContractMajor => ContractVersion.Major;

    public void Register(IComponentRegistry registry) =>
        registry.AddBlock(BlockType, spec =>
        {
            if (spec.InChannels != spec.OutChannels || spec.Upsamples)
                throw new ArgumentException($"{BlockType} keeps resolution and width: insert it where in = out channels (got {spec.InChannels} → {spec.OutChannels}).");
            return new ModulatedResidualBlock(BlockType, spec.OutChannels, spec.LatentDim);
        });
}
