using System.CommandLine;
using Automodulator.Core.Registry;
using Automodulator.Hosting.Plugins;

namespace Automodulator.Cli.Commands;

/// <summary>`automod plugins list`: every block, loss and edit, built-in or from a plugin, and every plugin that failed.</summary>
public static class PluginsCommand
{
    /// <summary>`--plugins DIR` (repeatable): extra folders holding &lt;Name&gt;/&lt;Name&gt;.dll plugins.</summary>
    public static Option<string[]> PluginDirs() => new("--plugins")
    {
        Description = $"Extra plugin folders (each holds <Name>/<Name>.dll); also read from ${PluginDiscovery.EnvironmentVariable}.",
        DefaultValueFactory = _ => [],
    };

    /// <summary>Built-ins plus every plugin that loads; failures are written to stderr and do not stop anything.</summary>
    public static PluginHost LoadRegistry(string[] extraDirs, TextWriter? errors = null)
    {
        var host = new PluginHost(ComponentRegistry.WithBuiltIns()).LoadAll(PluginDiscovery.DefaultRoots(extraDirs));
        foreach (var failed in host.Results.Where(r => !r.Loaded))
            (errors ?? Console.Error).WriteLine($"warning: plugin {failed.Name} ({failed.Path}) was not loaded: {failed.Error}");
        return host;
    }

    public static Command Create()
    {
        var dirs = PluginDirs();
        var list = new Command("list", "List blocks, loss terms and edit operations with their origin, version and source path.") { dirs };
        list.SetAction(r =>
        {
            var host = LoadRegistry(r.GetValue(dirs)!, Console.Out);
            Console.WriteLine($"{"kind",-6} {"name",-22} {"origin",-20} {"version",-10} source");
            foreach (var c in host.Registry.Components)
                Console.WriteLine($"{c.Kind.ToString().ToLowerInvariant(),-6} {c.Name,-22} {c.Origin,-20} {c.Version,-10} {c.SourcePath ?? "(core)"}");
            int failed = host.Results.Count(x => !x.Loaded);
            Console.WriteLine();
            Console.WriteLine($"{host.Results.Count(x => x.Loaded)} plugin(s) loaded, {failed} failed.");
            return 0;
        });
        return new Command("plugins", "Inspect the plugins automod can load.") { list };
    }
}
