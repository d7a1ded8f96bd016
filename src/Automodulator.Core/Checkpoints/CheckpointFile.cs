using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Automodulator.Core.Checkpoints;

/// <summary>
/// Our checkpoint container: readable JSON metadata plus named raw tensors, sealed with a SHA-256, written to a
/// temporary file and renamed into place so a crash never leaves a half-written checkpoint under the real name.
/// Layout: "AMODCKPT" · int32 format version · int64 JSON length · JSON · tensor bytes · SHA-256 of all before it.
/// The JSON lists every tensor (name, dtype, shape, byte offset) and carries the caller's metadata.
/// </summary>
public sealed class CheckpointFile
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "AMODCKPT"u8.ToArray();
    private const int HashLength = 32;

    private CheckpointFile(string kind, JsonObject metadata, Dictionary<string, Tensor> tensors)
    {
        Kind = kind;
        Metadata = metadata;
        Tensors = tensors;
    }

    /// <summary>What the file holds ("model", "training", …).</summary>
    public string Kind { get; }

    /// <summary>The caller's metadata (configuration, counters, …).</summary>
    public JsonObject Metadata { get; }

    /// <summary>Tensors by name, on the CPU, in file order. The caller owns them.</summary>
    public Dictionary<string, Tensor> Tensors { get; }

    /// <summary>Writes atomically: <paramref name="path"/> either keeps its old content or gets the whole new one.</summary>
    public static void Write(string path, string kind, JsonObject metadata, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var entries = new JsonArray();
        var blobs = new List<byte[]>();
        long offset = 0;
        var seen = new HashSet<string>();
        foreach (var (name, t) in tensors)
        {
            if (!seen.Add(name)) throw new ArgumentException($"Tensor name '{name}' appears twice.");
            using var cpu = t.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            entries.Add(new JsonObject
            {
                ["name"] = name,
                ["dtype"] = cpu.dtype.ToString(),
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode)d).ToArray()),
                ["offset"] = offset,
                ["length"] = bytes.LongLength,
            });
            blobs.Add(bytes);
            offset += bytes.LongLength;
        }
        var header = new JsonObject
        {
            ["kind"] = kind,
            ["written"] = DateTimeOffset.UtcNow.ToString("O"),
            ["tensors"] = entries,
            ["metadata"] = metadata.DeepClone(),
        };
        var json = Encoding.UTF8.GetBytes(header.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));

        var tmp = full + $".{Environment.ProcessId}.tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                void Put(ReadOnlySpan<byte> b) { fs.Write(b); hash.AppendData(b); }
                Put(Magic);
                Put(BitConverter.GetBytes(FormatVersion));
                Put(BitConverter.GetBytes((long)json.Length));
                Put(json);
                foreach (var b in blobs) Put(b);
                fs.Write(hash.GetHashAndReset());
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Reads and verifies a checkpoint; every problem is a <see cref="CheckpointException"/> naming the file.</summary>
    public static CheckpointFile Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "the file does not exist.");
        byte[] all;
        try { all = File.ReadAllBytes(path); }
        catch (IOException e) { throw new CheckpointException(path, $"it could not be read ({e.Message})."); }

        if (all.Length < Magic.Length || !all.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException(path, "it is not an automodulator checkpoint (wrong magic bytes).");
        const int fixedHeader = 8 + 4 + 8;
        if (all.Length < fixedHeader + HashLength)
            throw new CheckpointException(path, $"it is truncated ({all.Length} bytes).");
        int version = BitConverter.ToInt32(all, 8);
        if (version > FormatVersion)
            throw new CheckpointException(path, $"it has format version {version}, newer than this build reads ({FormatVersion}). Update automod.");
        if (version < 1)
            throw new CheckpointException(path, $"it has an invalid format version {version}.");
        long jsonLength = BitConverter.ToInt64(all, 12);
        if (jsonLength <= 0 || fixedHeader + jsonLength + HashLength > all.Length)
            throw new CheckpointException(path, $"it is truncated: the header says {jsonLength} bytes of metadata but the file has {all.Length} bytes in all.");

        JsonObject header;
        try { header = JsonNode.Parse(all.AsSpan(fixedHeader, (int)jsonLength))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        { throw new CheckpointException(path, $"its metadata is not valid JSON ({e.Message})."); }

        var entries = header["tensors"]?.AsArray() ?? throw new CheckpointException(path, "its metadata lists no tensors.");
        long dataStart = fixedHeader + jsonLength;
        long dataLength = entries.Sum(e => e!["length"]!.GetValue<long>());
        long expected = dataStart + dataLength + HashLength;
        if (all.LongLength != expected)
            throw new CheckpointException(path, all.LongLength < expected
                ? $"it is truncated: expected {expected} bytes, found {all.LongLength}. The write was probably interrupted; use an earlier checkpoint."
                : $"it has {all.LongLength - expected} unexpected trailing bytes.");

        var digest = SHA256.HashData(all.AsSpan(0, (int)(all.LongLength - HashLength)));
        if (!digest.AsSpan().SequenceEqual(all.AsSpan((int)(all.LongLength - HashLength))))
            throw new CheckpointException(path, "its checksum does not match: the file is corrupt.");

        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in entries)
        {
            var name = e!["name"]!.GetValue<string>();
            var dtype = Enum.Parse<ScalarType>(e["dtype"]!.GetValue<string>());
            var shape = e["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            long off = e["offset"]!.GetValue<long>(), len = e["length"]!.GetValue<long>();
            var t = empty(shape, dtype);
            if (t.NumberOfElements * t.ElementSize != len)
                throw new CheckpointException(path, $"tensor '{name}' has {len} bytes but its shape needs {t.NumberOfElements * t.ElementSize}.");
            all.AsSpan((int)(dataStart + off), (int)len).CopyTo(t.bytes);
            tensors[name] = t;
        }
        var kind = header["kind"]?.GetValue<string>() ?? "unknown";
        var metadata = header["metadata"]?.AsObject() ?? new JsonObject();
        return new CheckpointFile(kind, (JsonObject)metadata.DeepClone(), tensors);
    }
}

/// <summary>A checkpoint that cannot be used, with the reason and what to do.</summary>
public sealed class CheckpointException(string path, string reason) : Exception($"Cannot load checkpoint '{path}': {reason}")
{
    public string FilePath { get; } = path;
}
