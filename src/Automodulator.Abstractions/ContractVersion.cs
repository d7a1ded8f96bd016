namespace Automodulator.Abstractions;

/// <summary>
/// Version of the plugin contracts in this assembly (also its assembly version, Major.Minor.0.0). A plugin built
/// against another major version is refused; so is one built against a newer minor than the host's (it may call
/// members this host lacks). Minor versions only add: 1.1 added <see cref="LayerNoiseSource"/>.
/// </summary>
public static class ContractVersion
{
    public const int Major = 1;
    public const int Minor = 1;
}
