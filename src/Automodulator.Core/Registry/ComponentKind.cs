namespace Automodulator.Core.Registry;

/// <summary>The kinds of pluggable component.</summary>
public enum ComponentKind
{
    Block,
    Loss,
    Edit,
}
