using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;
using Automodulator.Data.Ingest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Automodulator.Hosting.Ingest;

/// <summary>
/// enumerate → read + decode (N workers) → align / crop + pyramid (N workers) → single writer, joined by bounded
/// channels. A window of in-flight items bounds memory whatever the data set size (the enumerator waits when the
/// writer's reorder buffer is full), and the writer puts items back into source order, so the cache is byte-identical
/// for any worker count. A graceful stop (Ctrl+C) lets the shard in progress finish and commit; a hard stop drops it.
/// Bad items become rejects with reasons; the run goes on.
/// </summary>
public sealed partial class IngestPipeline
{
    private readonly IIngestSource _source;
    private readonly IngestOptions _options;
    private readonly ILogger _log;
    private readonly IProgress<IngestProgress>? _progress;
    private long _readTicks, _prepareTicks, _pyramidTicks, _writeTicks;

    public IngestPipeline(IIngestSource source, IngestOptions options, ILogger? log = null, IProgress<IngestProgress>? progress = null)
    {
        options.Validate();
        _source = source;
        _options = options;
        _log = log ?? NullLogger.Instance;
        _progress = progress;
    }

    /// <summary>Raised after each committed shard (tests use it to simulate a crash at a known point).</summary>
    public event Action<CacheShard>? ShardCommitted;

    private sealed class Work(IngestItem item)
    {
        public IngestItem Item { get; } = item;
        public RgbImage? Image { get; set; }
        public CacheEntry? Entry { get; set; }
        public string? Reject { get; set; }
    }

    /// <summary>The manifest header this run writes (source, levels, shard size, range).</summary>
    public CacheManifest Header()
    {
        long total = _options.Limit is { } l ? Math.Min(l, _source.Count) : _source.Count;
        long start = total * _options.Part / _options.Parts, end = total * (_options.Part + 1) / _options.Parts;
        var levels = new List<int>();
        for (int r = 4; r <= _options.Resolution; r *= 2) levels.Add(r);
        return new CacheManifest
        {
            Source = _source.Describe(_options.Resolution),
            Resolutions = levels,
            ShardSize = _options.ShardSize,
            RangeStart = start,
            RangeEnd = end,
            SourceCount = total,
            CanMirror = _source.CanMirror,
        };
    }

    /// <param name="stop">Graceful: finish and commit the current shard, then return (the cache stays resumable).</param>
    /// <param name="abort">Hard: stop now; the shard in progress is dropped.</param>
    public async Task<IngestSummary> RunAsync(CancellationToken stop = default, CancellationToken abort = default)
    {
        var clock = Stopwatch.StartNew();
        using var writer = CacheWriter.Open(_options.Output, Header());
        writer.ShardCommitted += s => ShardCommitted?.Invoke(s);
        var m = writer.Manifest;
        long start = writer.ResumeSourceIndex, end = m.RangeEnd;
        if (writer.IsComplete || start >= end)
        {
            writer.Complete();
            _log.LogInformation("{Output}: already complete ({Count} items).", _options.Output, writer.Manifest.Count);
            return Summary(writer.Manifest, 0, 0, clock.Elapsed, false, new Dictionary<string, long>());
        }
        if (start > m.RangeStart) _log.LogInformation("Resuming after the last committed shard: source item {Start} of [{RangeStart}, {End}).", start, m.RangeStart, end);

        int window = 2 * _options.Workers + 3 * _options.ChannelCapacity + 4;
        var slots = new SemaphoreSlim(window, window);
        Channel<Work> Bounded() => Channel.CreateBounded<Work>(new BoundedChannelOptions(_options.ChannelCapacity) { FullMode = BoundedChannelFullMode.Wait });
        var toDecode = Bounded();
        var toPrepare = Bounded();
        var toWrite = Bounded();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var token = linked.Token;
        long stopAt = long.MaxValue;
        var reasons = new ConcurrentDictionary<string, long>();

        // Enumerate: in source order; on a graceful stop, only up to the end of the shard in progress.
        var enumerate = Task.Run(async () =>
        {
            long next = start;
            try
            {
                foreach (var item in _source.Enumerate(start, end))
                {
                    if (stop.IsCancellationRequested && stopAt == long.MaxValue)
                        Interlocked.Exchange(ref stopAt, Math.Min(end, (item.Index + m.ShardSize - 1) / m.ShardSize * m.ShardSize));
                    if (item.Index >= Interlocked.Read(ref stopAt)) break;
                    await slots.WaitAsync(token);
                    await toDecode.Writer.WriteAsync(new Work(item), token);
                    next = item.Index + 1;
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                // A damaged container (e.g. LMDB) ends the enumeration: every item it can no longer yield is a reject.
                _log.LogError("{Message}", e.Message);
                long last = Math.Min(end, Interlocked.Read(ref stopAt));
                for (long i = next; i < last; i++)
                {
                    await slots.WaitAsync(token);
                    await toDecode.Writer.WriteAsync(new Work(new IngestItem(i, $"#{i}", null, null)) { Reject = $"unreadable: {e.Message}" }, token);
                }
            }
            finally
            {
                if (stop.IsCancellationRequested && stopAt == long.MaxValue) Interlocked.Exchange(ref stopAt, next);
                toDecode.Writer.TryComplete();
            }
        }, token);

        var decoders = Workers(toDecode.Reader, toPrepare.Writer, w =>
        {
            long t0 = Stopwatch.GetTimestamp();
            w.Image = _source.Read(w.Item, _options.Resolution);
            Interlocked.Add(ref _readTicks, Stopwatch.GetTimestamp() - t0);
        }, token);
        var preparers = Workers(toPrepare.Reader, toWrite.Writer, w =>
        {
            long t0 = Stopwatch.GetTimestamp();
            var (prepared, detection) = _source.PrepareItem(w.Item, w.Image!, _options.Resolution);
            w.Image = null;
            long t1 = Stopwatch.GetTimestamp();
            if (prepared.Width != prepared.Height || !ImagePyramid.IsPowerOfTwo(prepared.Width) || prepared.Width < _options.Resolution)
                throw new InvalidOperationException($"the source prepared a {prepared.Width}×{prepared.Height} image for a {_options.Resolution} cache");
            var levels = ImagePyramid.Build(prepared, 4, _options.Resolution).ToDictionary(l => l.Width);
            w.Entry = new CacheEntry(w.Item.Index, w.Item.Id, w.Item.Split, levels, w.Item.FlipPair, w.Item.Factors, detection);
            long t2 = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _prepareTicks, t1 - t0);
            Interlocked.Add(ref _pyramidTicks, t2 - t1);
        }, token);

        // Single writer: restores source order, commits shards, reports progress.
        long processed = 0, kept = 0, rejected = 0;
        var write = Task.Run(async () =>
        {
            var pending = new Dictionary<long, Work>();
            long next = start, lastReport = 0;
            var rate = Stopwatch.StartNew();
            await foreach (var w in toWrite.Reader.ReadAllAsync(token))
            {
                pending[w.Item.Index] = w;
                while (pending.Remove(next, out var ready))
                {
                    token.ThrowIfCancellationRequested(); // an abort must not drain what is already buffered
                    long t0 = Stopwatch.GetTimestamp();
                    if (ready.Reject is not null)
                    {
                        writer.Reject(new RejectRecord(ready.Item.Index, ready.Item.Id, ready.Reject));
                        reasons.AddOrUpdate(Category(ready.Reject), 1, (_, c) => c + 1);
                        rejected++;
                    }
                    else
                    {
                        writer.Add(ready.Entry!);
                        kept++;
                    }
                    Interlocked.Add(ref _writeTicks, Stopwatch.GetTimestamp() - t0);
                    processed++;
                    next++;
                    slots.Release();
                    if (_progress is not null && rate.ElapsedMilliseconds - lastReport >= 200)
                    {
                        lastReport = rate.ElapsedMilliseconds;
                        double ips = processed / Math.Max(rate.Elapsed.TotalSeconds, 1e-9);
                        long left = end - next;
                        _progress.Report(new IngestProgress(next - m.RangeStart, end - m.RangeStart, writer.Manifest.Count + 0, rejected, writer.Manifest.Shards.Count, ips,
                            ips > 0 ? TimeSpan.FromSeconds(left / ips) : null, stop.IsCancellationRequested));
                    }
                }
            }
            return next;
        }, token);

        long written;
        try
        {
            await Task.WhenAll(enumerate, decoders, preparers);
            written = await write;
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            _log.LogWarning("Aborted: the shard in progress was dropped; rerun the same command to resume.");
            throw;
        }
        catch
        {
            linked.Cancel();
            throw;
        }

        bool stopped = Interlocked.Read(ref stopAt) != long.MaxValue && written < end;
        if (stopped)
        {
            writer.CommitUpTo(written);
            _log.LogWarning("Stopped after source item {Next} ({Shards} shards committed); rerun the same command to resume.", written, writer.Manifest.Shards.Count);
        }
        else
        {
            writer.Complete();
        }
        _progress?.Report(new IngestProgress(written - m.RangeStart, end - m.RangeStart, writer.Manifest.Count, rejected, writer.Manifest.Shards.Count,
            processed / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), TimeSpan.Zero, stopped));
        return Summary(writer.Manifest, processed, rejected, clock.Elapsed, stopped, reasons);
    }

    private IngestSummary Summary(CacheManifest manifest, long processed, long rejected, TimeSpan elapsed, bool stopped, IDictionary<string, long> reasons)
    {
        double f = 1.0 / Stopwatch.Frequency;
        var stages = new StageTimes(_readTicks * f, _prepareTicks * f, _pyramidTicks * f, _writeTicks * f);
        return new IngestSummary(manifest, processed, processed - rejected, rejected, elapsed, stopped, stages,
            new SortedDictionary<string, long>(reasons, StringComparer.Ordinal));
    }

    /// <summary>N workers that apply a step to every item that is not yet rejected; failures become rejects.</summary>
    private Task Workers(ChannelReader<Work> input, ChannelWriter<Work> output, Action<Work> step, CancellationToken token)
    {
        var tasks = Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(async () =>
        {
            await foreach (var w in input.ReadAllAsync(token))
            {
                if (w.Reject is null)
                {
                    try { step(w); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        w.Image = null;
                        w.Reject = e switch
                        {
                            IngestRejectException or ImageDecodeException => e.Message,
                            _ => $"{e.GetType().Name}: {e.Message}",
                        };
                        if (e is not (IngestRejectException or ImageDecodeException))
                            _log.LogWarning("Item {Index} ({Id}) failed unexpectedly: {Error}", w.Item.Index, w.Item.Id, e.Message);
                    }
                }
                await output.WriteAsync(w, token);
            }
        }, token)).ToArray();
        return Task.WhenAll(tasks).ContinueWith(t =>
        {
            if (t.IsFaulted || t.IsCanceled) output.TryComplete(t.Exception?.GetBaseException());
            else output.TryComplete();
            return t;
        }, TaskScheduler.Default).Unwrap();
    }

    /// <summary>A reason with its numbers and quoted names blanked, so the summary can count alike rejects together.</summary>
    internal static string Category(string reason)
    {
        var r = reason;
        int colon = r.IndexOf(": ", StringComparison.Ordinal);
        // Decoder messages start with the file name ("a.jpg: the file is empty"): drop it.
        if (colon > 0 && colon < 80 && r[..colon].Contains('.')) r = r[(colon + 2)..];
        r = Numbers().Replace(r, "#");
        return r.Length > 70 ? r[..70] + "…" : r;
    }

    [GeneratedRegex(@"[0-9]+(\.[0-9]+)?")]
    private static partial Regex Numbers();
}
