namespace Automodulator.Abstractions.Plugins;

/// <summary>
/// The entry point of a plugin assembly: a public class with a parameterless constructor. The host creates one,
/// checks <see cref="ContractMajor"/> against <see cref="ContractVersion.Major"/> and calls <see cref="Register"/>.
/// </summary>
public interface IAutomodulatorPlugin
{
    /// <summary>Stable plugin name; a checkpoint that uses its blocks names it.</summary>
    string Name { get; }

    /// <summary>The plugin's own version (informational).</summary>
    string Version { get; }

    /// <summary>The contract major version the plugin was built against; return <c>ContractVersion.Major</c>.</summary>
    int ContractMajor { get; }

    /// <summary>Adds the plugin's blocks, loss terms and edit operations.</summary>
    void Register(IComponentRegistry registry);
}
