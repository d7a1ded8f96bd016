namespace Automodulator.Abstractions;

/// <summary>Version of the plugin contracts in this assembly. A plugin built against another major version is refused.</summary>
public static class ContractVersion
{
    public const int Major = 1;
    public const int Minor = 0;
}
