using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;
using Automodulator.Core.Edits;
using Automodulator.Core.Model;

namespace Automodulator.Core.Registry;

/// <summary>One registered component and where it came from.</summary>
public sealed record ComponentInfo(ComponentKind Kind, string Name, string Origin, string Version, string? SourcePath);

/// <summary>
/// The registry of blocks, loss terms and edit operations. <see cref="WithBuiltIns"/> registers the core's own
/// components through the same <see cref="IComponentRegistry"/> calls plugins use; <see cref="Register"/> adds a
/// plugin's. Names are unique per kind: a second registration of a name is an error that names both origins.
/// </summary>
public sealed class ComponentRegistry
{
    public const string BuiltIn = "built-in";

    private readonly Dictionary<string, (Func<BlockSpec, ModulatedBlock> Factory, ComponentInfo Info)> _blocks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Func<LossSpec, ILossTerm> Factory, ComponentInfo Info)> _losses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IEditOperation Edit, ComponentInfo Info)> _edits = new(StringComparer.Ordinal);

    /// <summary>A registry holding the core's built-in components.</summary>
    public static ComponentRegistry WithBuiltIns()
    {
        var registry = new ComponentRegistry();
        registry.Register(BuiltIn, typeof(ComponentRegistry).Assembly.GetName().Version?.ToString() ?? "0", null, r =>
        {
            r.AddBlock(ModulatedConvBlock.TypeName, spec =>
                new ModulatedConvBlock(ModulatedConvBlock.TypeName, spec.InChannels, spec.OutChannels, spec.LatentDim, spec.Upsamples,
                    spec.Options.TryGetValue("layers", out var l) ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : 2));
            foreach (var edit in BuiltInEdits.All()) r.AddEdit(edit);
        });
        return registry;
    }

    /// <summary>Runs <paramref name="register"/> against this registry, recording <paramref name="origin"/> on each entry.</summary>
    public void Register(string origin, string version, string? sourcePath, Action<IComponentRegistry> register) =>
        register(new Scoped(this, origin, version, sourcePath));

    public IEnumerable<ComponentInfo> Components =>
        _blocks.Values.Select(v => v.Info).Concat(_losses.Values.Select(v => v.Info)).Concat(_edits.Values.Select(v => v.Info))
            .OrderBy(c => c.Kind).ThenBy(c => c.Name, StringComparer.Ordinal);

    public bool HasBlock(string typeName) => _blocks.ContainsKey(typeName);

    /// <summary>True when a component of that kind and name is registered.</summary>
    public bool Contains(ComponentKind kind, string name) => kind switch
    {
        ComponentKind.Block => _blocks.ContainsKey(name),
        ComponentKind.Loss => _losses.ContainsKey(name),
        _ => _edits.ContainsKey(name),
    };

    public ComponentInfo BlockInfo(string typeName) => _blocks.TryGetValue(typeName, out var b) ? b.Info
        : throw new KeyNotFoundException($"No block type '{typeName}' is registered.");

    public ModulatedBlock CreateBlock(string typeName, BlockSpec spec) => _blocks.TryGetValue(typeName, out var b)
        ? b.Factory(spec)
        : throw new KeyNotFoundException($"No block type '{typeName}' is registered. Known: {string.Join(", ", _blocks.Keys)}.");

    public ILossTerm CreateLoss(string name, LossSpec spec) => _losses.TryGetValue(name, out var l)
        ? l.Factory(spec)
        : throw new KeyNotFoundException($"No loss term '{name}' is registered. Known: {string.Join(", ", _losses.Keys)}.");

    public IEditOperation Edit(string name) => _edits.TryGetValue(name, out var e)
        ? e.Edit
        : throw new KeyNotFoundException($"No edit operation '{name}' is registered. Known: {string.Join(", ", _edits.Keys)}.");

    public IEnumerable<IEditOperation> Edits => _edits.Values.Select(e => e.Edit);

    private void Add<T>(Dictionary<string, (T, ComponentInfo)> table, string name, T value, ComponentInfo info)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"A {info.Kind} from {info.Origin} has an empty name.");
        if (table.TryGetValue(name, out var existing))
            throw new InvalidOperationException(
                $"{info.Kind} '{name}' from {info.Origin} clashes with the one already registered by {existing.Item2.Origin}.");
        table[name] = (value, info);
    }

    private sealed class Scoped(ComponentRegistry owner, string origin, string version, string? path) : IComponentRegistry
    {
        public void AddBlock(string typeName, Func<BlockSpec, ModulatedBlock> factory) =>
            owner.Add(owner._blocks, typeName, factory, new ComponentInfo(ComponentKind.Block, typeName, origin, version, path));

        public void AddLoss(string name, Func<LossSpec, ILossTerm> factory) =>
            owner.Add(owner._losses, name, factory, new ComponentInfo(ComponentKind.Loss, name, origin, version, path));

        public void AddEdit(IEditOperation edit) =>
            owner.Add(owner._edits, edit.Name, edit, new ComponentInfo(ComponentKind.Edit, edit.Name, origin, version, path));
    }
}
