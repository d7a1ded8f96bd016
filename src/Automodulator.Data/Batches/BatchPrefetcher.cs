using System.Threading.Channels;

namespace Automodulator.Data.Batches;

/// <summary>
/// Makes batches on a background thread into a bounded channel, so the trainer never waits for image reading and
/// memory stays at <see cref="BatchOptions.Capacity"/> batches. Batch k is made for <c>schedule(k)</c>, which lets
/// the trainer's resolution / fade-in schedule drive the producer without a lag of stale batches; the sequence is
/// the same as a <see cref="BatchAssembler"/> would give synchronously. Dispose to stop the thread and free the
/// batches still queued.
/// </summary>
public sealed class BatchPrefetcher : IDisposable
{
    private readonly Channel<ImageBatch> _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private Exception? _failure;

    /// <summary>Fixed batch size, resolution and fade-in weight.</summary>
    public BatchPrefetcher(IImageSource source, BatchRequest request, BatchOptions options)
        : this(source, _ => request, options) { }

    /// <summary>Batches following a schedule: step k → what batch k should be.</summary>
    public BatchPrefetcher(IImageSource source, Func<long, BatchRequest> schedule, BatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (options.Capacity < 1) throw new ArgumentOutOfRangeException(nameof(options), "Prefetch capacity must be at least 1.");
        var assembler = new BatchAssembler(source, options);
        _channel = Channel.CreateBounded<ImageBatch>(new BoundedChannelOptions(options.Capacity)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(() => Produce(assembler, schedule)) { IsBackground = true, Name = "batch-prefetch" };
        _thread.Start();
    }

    /// <summary>The channel of ready batches (for consumers that want to await).</summary>
    public ChannelReader<ImageBatch> Reader => _channel.Reader;

    /// <summary>The next batch; blocks until one is ready. Rethrows a failure of the producer (e.g. a damaged cache).</summary>
    public ImageBatch Next(CancellationToken cancellation = default)
    {
        try
        {
            var pending = _channel.Reader.ReadAsync(cancellation);
            return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException) when (_failure is not null)
        {
            throw new InvalidOperationException($"Batch prefetching failed: {_failure.Message}", _failure);
        }
    }

    private void Produce(BatchAssembler assembler, Func<long, BatchRequest> schedule)
    {
        var token = _stop.Token;
        try
        {
            for (long step = 0; !token.IsCancellationRequested; step++)
            {
                var batch = assembler.Next(schedule(step));
                try
                {
                    // Blocking write on this dedicated thread: the bound is the backpressure.
                    var write = _channel.Writer.WriteAsync(batch, token);
                    if (!write.IsCompletedSuccessfully) write.AsTask().GetAwaiter().GetResult();
                }
                catch
                {
                    batch.Dispose();
                    throw;
                }
            }
            _channel.Writer.TryComplete();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            _channel.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _failure = e;
            _channel.Writer.TryComplete(e);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        while (_channel.Reader.TryRead(out var batch)) batch.Dispose();
        _stop.Dispose();
    }
}
