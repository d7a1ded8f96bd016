namespace Automodulator.Data.Cache;

/// <summary>
/// Joins caches that `automod ingest --shard k/n` runs made of consecutive parts of one source into one cache. The
/// result is re-packed into shards of the common shard size exactly as a single run over the whole range would
/// write them, so merging the parts of a source gives the same bytes as ingesting it unsharded.
/// </summary>
public static class CacheMerger
{
    public static CacheManifest Merge(IReadOnlyList<string> inputs, string output, Action<long>? progress = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("Give at least one cache to merge.");
        var readers = inputs.Select(i => CacheReader.Open(i)).ToList();
        try
        {
            readers.Sort((a, b) => a.Manifest.RangeStart.CompareTo(b.Manifest.RangeStart));
            var first = readers[0].Manifest;
            string Key(CacheManifest m) => CacheWriter.HeaderKey(m with { RangeStart = 0, RangeEnd = 0 });
            long expect = first.RangeStart;
            foreach (var r in readers)
            {
                var m = r.Manifest;
                if (!m.Complete) throw new ArgumentException($"{r.Directory} is not complete: finish its ingest (rerun it) before merging.");
                if (Key(m) != Key(first)) throw new ArgumentException($"{r.Directory} was made from a different source or with different settings than {readers[0].Directory}.");
                if (m.RangeStart != expect)
                    throw new ArgumentException($"{r.Directory} covers source items [{m.RangeStart}, {m.RangeEnd}) but the parts so far end at {expect}: a part is missing or overlaps.");
                expect = m.RangeEnd;
            }
            if (Path.GetFullPath(output) is var o && readers.Any(r => Path.GetFullPath(r.Directory) == o))
                throw new ArgumentException("The merge output must be a new folder, not one of the inputs.");
            var header = first with { RangeEnd = expect, Count = 0, Rejects = 0, Complete = false, Shards = [] };
            using var writer = CacheWriter.Open(output, header);
            long done = 0;
            foreach (var reader in readers)
            {
                using var items = reader.Items().GetEnumerator();
                using var rejects = reader.Rejects().GetEnumerator();
                bool hasItem = items.MoveNext(), hasReject = rejects.MoveNext();
                while (hasItem || hasReject)
                {
                    if (hasItem && (!hasReject || items.Current.SourceIndex < rejects.Current.SourceIndex))
                    {
                        var info = items.Current;
                        if (info.SourceIndex >= writer.ResumeSourceIndex)
                        {
                            var levels = new Dictionary<int, Imaging.RgbImage>();
                            foreach (var res in header.Resolutions)
                            {
                                var img = new Imaging.RgbImage(res, res);
                                reader.Read(info.Index, res, img.Pixels);
                                levels[res] = img;
                            }
                            writer.Add(new CacheEntry(info.SourceIndex, info.Id, info.Split, levels, info.FlipPair, info.Factors, info.Detection));
                        }
                        hasItem = items.MoveNext();
                    }
                    else
                    {
                        if (rejects.Current.SourceIndex >= writer.ResumeSourceIndex) writer.Reject(rejects.Current);
                        hasReject = rejects.MoveNext();
                    }
                    progress?.Invoke(++done);
                }
            }
            writer.Complete();
            return writer.Manifest;
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
    }
}
