using System.Text.Json;
using System.Text.Json.Nodes;
using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Checkpoints;

/// <summary>Saves and loads a model: its weights and buffers plus the <see cref="ModelConfig"/> that rebuilds it.</summary>
public static class ModelCheckpoint
{
    public const string Kind = "model";
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(AutomodulatorNetwork net, string path, JsonObject? extra = null)
    {
        var meta = new JsonObject
        {
            ["config"] = JsonSerializer.SerializeToNode(net.Config, Json),
            ["parameters"] = net.parameters().Sum(p => p.NumberOfElements),
        };
        if (extra is not null) meta["extra"] = extra.DeepClone();
        CheckpointFile.Write(path, Kind, meta, net.state_dict().Select(kv => (kv.Key, kv.Value)));
    }

    /// <summary>Reads the configuration only.</summary>
    public static ModelConfig ReadConfig(CheckpointFile file, string path)
    {
        var node = file.Metadata["config"] ?? throw new CheckpointException(path, "it holds no model configuration.");
        try { return (node.Deserialize<ModelConfig>(Json) ?? throw new JsonException("null")).Validate(); }
        catch (Exception e) when (e is JsonException or ArgumentException)
        { throw new CheckpointException(path, $"its model configuration is invalid ({e.Message})."); }
    }

    /// <summary>Rebuilds the network from the file's configuration and loads every tensor.</summary>
    /// <param name="registry">Supplies plugin block types when the model has plugin blocks.</param>
    public static AutomodulatorNetwork Load(string path, ComponentRegistry? registry = null)
    {
        var file = CheckpointFile.Read(path);
        try
        {
            // A training checkpoint holds a model too: its encoder and its EMA decoder (what samples are drawn from).
            if (file.Kind == Training.TrainingCheckpoint.Kind) return Training.TrainingCheckpoint.ModelFrom(file, path, registry);
            var config = ReadConfig(file, path);
            var net = new AutomodulatorNetwork(config, registry);
            LoadState(net, file.Tensors, path, "");
            return net;
        }
        finally
        {
            foreach (var t in file.Tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// SHA-256 over a model's state (names, shapes and bytes, by name in ordinal order): its identity as a base. The
    /// order makes the identity independent of where plugin blocks sit in the module tree.
    /// </summary>
    public static string StateIdentity(nn.Module module) => StateIdentity(module.state_dict());

    /// <summary>
    /// The identity of <paramref name="net"/>'s base part, its tensors taken by name (everything but the blocks added on
    /// top of the base, <see cref="AutomodulatorNetwork.BaseState"/>): equal to <see cref="ModelConfig.BaseIdentity"/>
    /// exactly when every base tensor is still the base's, whatever was inserted or appended.
    /// </summary>
    public static string BaseIdentityOf(AutomodulatorNetwork net) => StateIdentity(net.BaseState());

    /// <summary>
    /// Names of <paramref name="baseNet"/>'s tensors that <paramref name="net"/> lacks or holds with another shape or other
    /// bytes (empty: the base is intact in <paramref name="net"/>).
    /// </summary>
    public static IReadOnlyList<string> BaseDifferences(AutomodulatorNetwork net, AutomodulatorNetwork baseNet)
    {
        var state = net.state_dict();
        var differ = new List<string>();
        foreach (var (name, value) in baseNet.state_dict())
        {
            if (!state.TryGetValue(name, out var t) || !t.shape.SequenceEqual(value.shape)) { differ.Add(name); continue; }
            using var a = t.detach().cpu().contiguous();
            using var b = value.detach().cpu().contiguous();
            if (a.dtype != b.dtype || !a.bytes.SequenceEqual(b.bytes)) differ.Add(name);
        }
        return differ;
    }

    /// <summary>SHA-256 over named tensors (names, shapes and bytes, by name in ordinal order).</summary>
    public static string StateIdentity(IEnumerable<KeyValuePair<string, Tensor>> state)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (name, t) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name + ":" + string.Join(",", t.shape) + ";"));
            using var cpu = t.detach().cpu().contiguous();
            hash.AppendData(cpu.bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Copies <paramref name="tensors"/> (names prefixed by <paramref name="prefix"/>) into <paramref name="module"/>'s
    /// state, strictly: a missing, unexpected or differently shaped tensor is an error that names it.
    /// </summary>
    public static void LoadState(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string path, string prefix)
    {
        var state = module.state_dict();
        var missing = state.Keys.Where(k => !tensors.ContainsKey(prefix + k)).ToList();
        var unexpected = tensors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !state.ContainsKey(k[prefix.Length..])).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new CheckpointException(path,
                "its tensors do not match the model built from its configuration" +
                (missing.Count > 0 ? $"; missing: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" (+{missing.Count - 5} more)" : "")}" : "") +
                (unexpected.Count > 0 ? $"; unexpected: {string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? $" (+{unexpected.Count - 5} more)" : "")}" : "") + ".");
        using var _ = no_grad();
        foreach (var (name, target) in state)
        {
            var source = tensors[prefix + name];
            if (!source.shape.SequenceEqual(target.shape))
                throw new CheckpointException(path,
                    $"tensor '{prefix + name}' has shape [{string.Join(", ", source.shape)}] but the model expects [{string.Join(", ", target.shape)}].");
            target.copy_(source);
        }
    }
}
