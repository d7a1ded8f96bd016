using System.Text.Json.Nodes;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;
using Automodulator.Hosting.Editing;

namespace Automodulator.Hosting.Pipelines.Steps;

/// <summary>
/// Edit inputs taken from a cache: <c>{"cache": DIR, "split": "validation", "offset": 0, "count": 6}</c>; a negative
/// offset counts from the end (the trainer holds out the last images). Or photos:
/// <c>{"photos": [FILES], "align": "faces"|"crop"}</c>.
/// </summary>
public static class CacheInputs
{
    public static Func<int, EditInputSet> From(JsonObject spec, PipelineDefinition pipeline)
    {
        if (spec["photos"] is JsonArray photos)
            return EditRunner.Photos(photos.Select(p => pipeline.ResolvePath(p!.GetValue<string>())).ToArray(), spec["align"]?.GetValue<string>() ?? "crop");
        var dir = pipeline.ResolvePath(spec["cache"]?.GetValue<string>() ?? throw new ArgumentException("Edit inputs need \"cache\" (a cache folder) or \"photos\"."));
        string? split = spec["split"]?.GetValue<string>();
        int offset = spec["offset"]?.GetValue<int>() ?? 0;
        int count = spec["count"]?.GetValue<int>() ?? 6;
        return res =>
        {
            using var reader = CacheReader.Open(dir, split);
            int start = offset < 0 ? reader.Count + offset : offset;
            if (start < 0 || start + count > reader.Count)
                throw new ArgumentException($"Cache {dir}{(split is null ? "" : $" ({split})")} has {reader.Count} items; inputs {start}..{start + count - 1} do not fit.");
            var indices = Enumerable.Range(start, count).ToArray();
            return new EditInputSet(Load(reader, indices, res), indices.Select(i => $"{dir}#{reader.CacheIndex(i)}").ToArray(), []);
        };
    }

    /// <summary>Items of a cache at <paramref name="resolution"/> as a [N, 3, R, R] tensor in [-1, 1].</summary>
    public static TorchSharp.torch.Tensor Load(CacheReader reader, IReadOnlyList<int> indices, int resolution)
    {
        if (!reader.Resolutions.Contains(resolution))
            throw new ArgumentException($"Cache {reader.Directory} has no {resolution}×{resolution} level (it has {string.Join(", ", reader.Resolutions)}).");
        return TensorImages.ToTensor(indices.Select(i => reader.Get(i, resolution)).ToArray());
    }

    /// <summary>
    /// Reader indices of the <paramref name="count"/> items with the highest and the lowest value of a factor
    /// ("intermediate.smile") in the cache's factor metadata (synthetic faces record their factors).
    /// </summary>
    public static (int[] High, int[] Low) ByFactor(CacheReader reader, string factor, int count)
    {
        var path = factor.Split('.');
        var values = new List<(int Index, double Value)>();
        int i = 0;
        var byCacheIndex = Enumerable.Range(0, reader.Count).ToDictionary(k => reader.CacheIndex(k), k => k);
        foreach (var item in reader.Items())
        {
            if (!byCacheIndex.TryGetValue(item.Index, out var readerIndex)) continue;
            JsonNode? node = item.Factors;
            foreach (var p in path) node = node is JsonObject o ? o.FirstOrDefault(kv => string.Equals(kv.Key, p, StringComparison.OrdinalIgnoreCase)).Value : null;
            if (node is JsonValue v && v.TryGetValue<double>(out var d)) values.Add((readerIndex, d));
            i++;
        }
        if (values.Count < 2 * count)
            throw new ArgumentException($"Cache {reader.Directory} has {values.Count} items with factor '{factor}'; a direction needs {2 * count}. (Only synthetic caches record factors.)");
        var sorted = values.OrderBy(v => v.Value).ToList();
        return (sorted.TakeLast(count).Select(v => v.Index).ToArray(), sorted.Take(count).Select(v => v.Index).ToArray());
    }
}
