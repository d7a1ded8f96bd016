namespace Automodulator.Hosting.Tests.Plugins;

/// <summary>Where the build put the sample and test plugins.</summary>
internal static class PluginFolders
{
    public static string RepoRoot() => Automodulator.Tests.Shared.RepoPaths.Root();

    public static string Samples => Automodulator.Tests.Shared.RepoPaths.SamplePlugins;
    public static string Misbehaving => Path.Combine(RepoRoot(), "artifacts", "test-plugins");
}
