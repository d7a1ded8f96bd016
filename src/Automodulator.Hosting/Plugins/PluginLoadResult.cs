namespace Automodulator.Hosting.Plugins;

/// <summary>What happened to one plugin assembly: loaded (with its entry points) or refused, with the reason.</summary>
public sealed record PluginLoadResult(string Name, string Path, bool Loaded, string? Version, string? Error)
{
    public static PluginLoadResult Ok(string name, string path, string version) => new(name, path, true, version, null);
    public static PluginLoadResult Failed(string name, string path, string error) => new(name, path, false, null, error);
}
