using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;

namespace MisbehavingPlugins;

/// <summary>Throws from its constructor.</summary>
public sealed class ThrowingPlugin : IAutomodulatorPlugin
{
    public ThrowingPlugin() => throw new InvalidOperationException("deliberate failure in the constructor");
    public string Name => "Throwing";
    public string Version => "0";
    public int ContractMajor => ContractVersion.Major;
    public void Register(IComponentRegistry registry) { }
}

/// <summary>Claims a contract version the host does not speak.</summary>
public sealed class FutureContractPlugin : IAutomodulatorPlugin
{
    public string Name => "FutureContract";
    public string Version => "0";
    public int ContractMajor => 99;
    public void Register(IComponentRegistry registry) => throw new InvalidOperationException("must not be called");
}

/// <summary>Registers an edit whose name a built-in already has.</summary>
public sealed class ClashingPlugin : IAutomodulatorPlugin
{
    public string Name => "Clashing";
    public string Version => "0";
    public int ContractMajor => ContractVersion.Major;
    public void Register(IComponentRegistry registry) => registry.AddEdit(new NamedEdit("mix"));
}

/// <summary>A well-behaved plugin in the same assembly: it must still load.</summary>
public sealed class WellBehavedPlugin : IAutomodulatorPlugin
{
    public string Name => "WellBehaved";
    public string Version => "2.0";
    public int ContractMajor => ContractVersion.Major;
    public void Register(IComponentRegistry registry) => registry.AddEdit(new NamedEdit("well-behaved"));
}

internal sealed class NamedEdit(string name) : IEditOperation
{
    public string Name => name;
    public string Description => "test";
    public EditResult Run(IAutomodulator model, EditRequest request) => throw new NotSupportedException();
}
