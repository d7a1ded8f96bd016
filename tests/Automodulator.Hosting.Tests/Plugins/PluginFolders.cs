namespace Automodulator.Hosting.Tests.Plugins;

/// <summary>Where the build put the sample and test plugins.</summary>
internal static class PluginFolders
{
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Automodulator.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    public static string Samples => Path.Combine(RepoRoot(), "artifacts", "plugins");
    public static string Misbehaving => Path.Combine(RepoRoot(), "artifacts", "test-plugins");
}
