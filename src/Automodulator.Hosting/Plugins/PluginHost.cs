using System.Reflection;
using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;
using Automodulator.Core.Registry;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Automodulator.Hosting.Plugins;

/// <summary>
/// Loads plugins with McMaster.NETCore.Plugins into their own load contexts, sharing with the host exactly the
/// assemblies whose types cross the boundary: our Abstractions, TorchSharp, DI and logging. A plugin that ships its
/// own TorchSharp or libtorch is refused (two native libtorch copies in one process corrupt each other's state), as is
/// one built against another contract major version. A plugin that fails to load or throws while registering is
/// reported by name and reason; the host and every other plugin go on. Plugins are never unloaded: native modules
/// keep their load context alive.
/// </summary>
public sealed class PluginHost
{
    private static readonly Type[] SharedTypes =
    [
        typeof(IAutomodulatorPlugin), typeof(TorchSharp.torch), typeof(IServiceCollection), typeof(ILogger),
    ];

    private readonly List<PluginLoadResult> _results = [];
    private readonly List<PluginLoader> _loaders = [];

    public PluginHost(ComponentRegistry registry) => Registry = registry;

    public ComponentRegistry Registry { get; }

    public IReadOnlyList<PluginLoadResult> Results => _results;

    /// <summary>Loads every plugin found under <paramref name="roots"/>.</summary>
    public PluginHost LoadAll(IEnumerable<string> roots)
    {
        foreach (var (name, folder, dll) in PluginDiscovery.Find(roots)) Load(name, folder, dll);
        return this;
    }

    /// <summary>Loads one plugin folder; never throws for a bad plugin.</summary>
    public PluginLoadResult Load(string name, string folder, string dll)
    {
        var result = TryLoad(name, folder, dll);
        _results.Add(result);
        return result;
    }

    /// <summary>
    /// Why a plugin compiled against <paramref name="abstractions"/> (its reference to our contracts assembly, whose
    /// version is ContractVersion Major.Minor) cannot run here, or null: another major version, or a newer minor
    /// (it may call contract members this host does not have). An older minor is fine: minor versions only add.
    /// </summary>
    public static string? ContractProblem(AssemblyName? abstractions)
    {
        if (abstractions?.Version is not { } v) return null; // no reference: the entry-point check below decides
        if (v.Major != ContractVersion.Major)
            return $"it was built against contract version {v.Major}.{v.Minor}; this host speaks {ContractVersion.Major}.{ContractVersion.Minor}. Rebuild it against this Automodulator.Abstractions.";
        if (v.Minor > ContractVersion.Minor)
            return $"it was built against contract version {v.Major}.{v.Minor}, newer than this host's {ContractVersion.Major}.{ContractVersion.Minor}. Update automod, or rebuild the plugin against this Automodulator.Abstractions.";
        return null;
    }

    private PluginLoadResult TryLoad(string name, string folder, string dll)
    {
        if (!File.Exists(dll))
            return PluginLoadResult.Failed(name, dll, $"folder {folder} has no {name}.dll (a plugin folder must hold <Name>/<Name>.dll).");
        var ownTorch = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName)
            .FirstOrDefault(f => f is not null && (f.Equals("TorchSharp.dll", StringComparison.OrdinalIgnoreCase)
                                                   || f.StartsWith("libtorch", StringComparison.Ordinal)
                                                   || f.StartsWith("libLibTorchSharp", StringComparison.Ordinal)
                                                   || f.StartsWith("LibTorchSharp", StringComparison.Ordinal)
                                                   || f.StartsWith("torch_cpu", StringComparison.Ordinal)));
        if (ownTorch is not null)
            return PluginLoadResult.Failed(name, dll,
                $"it ships its own TorchSharp/libtorch ({ownTorch}); plugins must use the host's. Reference TorchSharp with ExcludeAssets=\"runtime;native\" (see plugins/README.md).");

        Assembly assembly;
        try
        {
            var loader = PluginLoader.CreateFromAssemblyFile(dll, SharedTypes, c => c.PreferSharedTypes = true);
            assembly = loader.LoadDefaultAssembly();
            _loaders.Add(loader);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or InvalidOperationException)
        {
            return PluginLoadResult.Failed(name, dll, $"it could not be loaded ({e.GetType().Name}: {e.Message}).");
        }

        if (ContractProblem(assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == typeof(ContractVersion).Assembly.GetName().Name)) is { } contract)
            return PluginLoadResult.Failed(name, dll, contract);

        var torchUsed = assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == "TorchSharp");
        if (torchUsed is not null && torchUsed.Version is { } v && typeof(TorchSharp.torch).Assembly.GetName().Version is { } hv && v.Major != hv.Major)
            return PluginLoadResult.Failed(name, dll, $"it was built against TorchSharp {v}, the host runs {hv}.");

        Type[] entryTypes;
        try
        {
            entryTypes = assembly.GetTypes()
                .Where(t => typeof(IAutomodulatorPlugin).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                .ToArray();
        }
        catch (ReflectionTypeLoadException e)
        {
            return PluginLoadResult.Failed(name, dll, $"its types could not be loaded ({e.LoaderExceptions.FirstOrDefault()?.Message}).");
        }
        if (entryTypes.Length == 0)
            return PluginLoadResult.Failed(name, dll, "it has no public class implementing IAutomodulatorPlugin.");

        var versions = new List<string>();
        var errors = new List<string>();
        foreach (var type in entryTypes)
        {
            IAutomodulatorPlugin plugin;
            try
            {
                plugin = (IAutomodulatorPlugin)Activator.CreateInstance(type)!;
            }
            catch (Exception e)
            {
                errors.Add($"{type.Name} threw while being constructed: {(e is TargetInvocationException { InnerException: { } inner } ? inner.Message : e.Message)}");
                continue;
            }
            if (plugin.ContractMajor != ContractVersion.Major)
            {
                errors.Add($"{plugin.Name} was built against contract version {plugin.ContractMajor}; this host speaks {ContractVersion.Major}. Rebuild it against this Automodulator.Abstractions.");
                continue;
            }
            try
            {
                // Register into a scratch registry first, so a plugin that fails half-way adds nothing.
                var scratch = new ComponentRegistry();
                scratch.Register(plugin.Name, plugin.Version, dll, plugin.Register);
                var clash = scratch.Components.FirstOrDefault(c => Registry.Contains(c.Kind, c.Name));
                if (clash is not null)
                {
                    errors.Add($"{plugin.Name} registers {clash.Kind} '{clash.Name}', which is already registered.");
                    continue;
                }
                Registry.Register(plugin.Name, plugin.Version, dll, plugin.Register);
                versions.Add(plugin.Version);
            }
            catch (Exception e)
            {
                errors.Add($"{plugin.Name} threw while registering: {e.Message}");
            }
        }
        return errors.Count == 0
            ? PluginLoadResult.Ok(name, dll, string.Join(",", versions))
            : PluginLoadResult.Failed(name, dll, string.Join("; ", errors));
    }
}
