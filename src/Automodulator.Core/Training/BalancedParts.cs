namespace Automodulator.Core.Training;

/// <summary>
/// A fixed list split into parts of about equal total size, for per-parameter work shared by the batch-shard threads
/// (Adam updates, the EMA): largest item first onto the lightest part, ties by position, so the split is the same
/// every time. Splits are cached per part count and safe to ask for from several threads.
/// </summary>
internal sealed class BalancedParts<T>(IReadOnlyList<T> items, Func<T, long> size)
{
    private readonly Dictionary<int, List<T>[]> _splits = [];

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/>; with one part, every item.</summary>
    public IReadOnlyList<T> Part(int part, int parts)
    {
        if (parts == 1) return items;
        lock (_splits)
        {
            if (!_splits.TryGetValue(parts, out var split)) _splits[parts] = split = Balance(items, size, parts);
            return split[part];
        }
    }

    /// <summary>Items split into <paramref name="parts"/> lists of about equal total size.</summary>
    public static List<T>[] Balance(IReadOnlyList<T> items, Func<T, long> size, int parts)
    {
        var lists = Enumerable.Range(0, parts).Select(_ => new List<T>()).ToArray();
        var totals = new long[parts];
        foreach (var i in Enumerable.Range(0, items.Count).OrderByDescending(i => size(items[i])).ThenBy(i => i))
        {
            int lightest = Array.IndexOf(totals, totals.Min());
            lists[lightest].Add(items[i]);
            totals[lightest] += size(items[i]);
        }
        return lists;
    }
}
