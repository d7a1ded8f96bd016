namespace Automodulator.Hosting.Plugins;

/// <summary>
/// Finds plugin assemblies: <c>DIR/&lt;Name&gt;/&lt;Name&gt;.dll</c> in the <c>plugins</c> folder next to the
/// application, in every folder of the AUTOMOD_PLUGINS environment variable (path-separated) and in every
/// <c>--plugins DIR</c>, in that order. A folder without its matching dll is reported, not skipped silently.
/// </summary>
public static class PluginDiscovery
{
    public const string EnvironmentVariable = "AUTOMOD_PLUGINS";

    public static IReadOnlyList<string> DefaultRoots(IEnumerable<string>? extra = null)
    {
        var roots = new List<string> { Path.Combine(AppContext.BaseDirectory, "plugins") };
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) roots.AddRange(env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        if (extra is not null) roots.AddRange(extra);
        return roots;
    }

    /// <summary>Candidate plugin folders under the roots: (name, folder, expected dll path).</summary>
    public static IEnumerable<(string Name, string Folder, string Dll)> Find(IEnumerable<string> roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            if (!Directory.Exists(root)) continue;
            foreach (var folder in Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
            {
                var name = Path.GetFileName(folder);
                var dll = Path.Combine(folder, name + ".dll");
                if (seen.Add(Path.GetFullPath(dll))) yield return (name, folder, dll);
            }
        }
    }
}
