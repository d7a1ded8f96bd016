using System.Diagnostics;
using System.Threading.Channels;
using Automodulator.Abstractions.Data;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// The prefetching reader: a background thread that turns an <see cref="IImageSet"/>, the schedule and the seed into
/// ready batches on a bounded channel, the only coupling between data and trainer. Batches come in schedule order,
/// so the producer works out each batch's phase, resolution, size and fade-in α itself, and blends real images across
/// resolutions with that α (x = α·x_R + (1−α)·up₂(x_{R/2}), Karras et al. 2018). The data order is a fresh
/// permutation of the training images per epoch and mirroring a coin per sample, both pure functions of the seed and
/// the sample number, so starting at any sample count reproduces an unbroken run's batches.
/// Pixel conversion is plain C# on this thread: no tensor math happens off the training thread.
/// </summary>
public sealed class BatchProducer : IDisposable
{
    private readonly IImageSet _images;
    private readonly ProgressiveSchedule _schedule;
    private readonly long _seed;
    private readonly bool _mirror;
    private readonly bool _flipPairs;
    private readonly int _trainCount;
    private readonly Channel<TrainingBatch> _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _next;
    private int[]? _permutation;
    private long _permutationEpoch = -1;
    private long _readTicks;

    /// <param name="images">The data set; the last <paramref name="heldOut"/> images are not trained on.</param>
    /// <param name="startSample">Sample count to start at (0, or where a resumed run stopped).</param>
    /// <param name="mirror">Mirror each image with probability ½ (only if the set is mirrorable).</param>
    /// <param name="flipPairs">Make every batch half originals, half their mirrors (for L_inv).</param>
    /// <param name="background">Start the reader thread; false builds batches only through <see cref="Produce"/>.</param>
    public BatchProducer(IImageSet images, ProgressiveSchedule schedule, long seed, long startSample, int capacity,
        int heldOut = 0, bool mirror = true, bool flipPairs = false, bool background = true)
    {
        _images = images;
        _schedule = schedule;
        _seed = seed;
        _trainCount = images.Count - heldOut;
        if (_trainCount < 2) throw new ArgumentException($"The data set has {images.Count} images; with {heldOut} held out fewer than 2 remain for training.");
        if (schedule.MaxResolution > images.MaxResolution)
            throw new ArgumentException($"The schedule trains up to {schedule.MaxResolution}×{schedule.MaxResolution} but the data only go to {images.MaxResolution}×{images.MaxResolution}.");
        if (flipPairs && !images.IsMirrorable)
            throw new ArgumentException("L_inv needs flip pairs, but this data set is not mirrorable.");
        _mirror = mirror && images.IsMirrorable;
        _flipPairs = flipPairs;
        _next = startSample;
        _channel = Channel.CreateBounded<TrainingBatch>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "automod batch producer" };
        if (background) _thread.Start();
        else _channel.Writer.TryComplete();
    }

    /// <summary>The consumer's end of the channel. Completed when the schedule is done (or with the producer's error).</summary>
    public ChannelReader<TrainingBatch> Reader => _channel.Reader;

    /// <summary>Time the producer spent reading and converting images.</summary>
    public TimeSpan ReadTime => TimeSpan.FromTicks(Interlocked.Read(ref _readTicks));

    /// <summary>Reads the next batch, blocking the calling thread while none is ready; null when the schedule is done.</summary>
    public TrainingBatch? Take(out TimeSpan waited)
    {
        var sw = Stopwatch.StartNew();
        var reader = _channel.Reader;
        while (true)
        {
            if (reader.TryRead(out var batch)) { waited = sw.Elapsed; return batch; }
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                waited = sw.Elapsed;
                if (reader.Completion.IsFaulted) reader.Completion.GetAwaiter().GetResult();
                return null;
            }
        }
    }

    private void Run()
    {
        try
        {
            var token = _stop.Token;
            while (!token.IsCancellationRequested)
            {
                var position = _schedule.Locate(_next);
                if (position.IsFinished) break;
                var sw = Stopwatch.StartNew();
                var batch = Produce(_next, position);
                Interlocked.Add(ref _readTicks, sw.Elapsed.Ticks);
                _next += batch.Size;
                try
                {
                    while (!_channel.Writer.TryWrite(batch))
                        if (!_channel.Writer.WaitToWriteAsync(token).AsTask().GetAwaiter().GetResult())
                        {
                            batch.Dispose();
                            return;
                        }
                }
                catch (OperationCanceledException)
                {
                    batch.Dispose();
                    break;
                }
            }
            _channel.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _channel.Writer.TryComplete(e);
        }
    }

    /// <summary>Builds the batch that starts at <paramref name="start"/> (also usable directly, without the thread).</summary>
    public TrainingBatch Produce(long start, SchedulePosition position)
    {
        int b = position.Phase.BatchSize, r = position.Phase.Resolution;
        double alpha = position.Alpha;
        int pixels = r * r;
        var data = new float[b * 3 * pixels];
        var full = new byte[pixels * 3];
        var half = alpha < 1 ? new byte[pixels * 3 / 4] : null;
        int distinct = _flipPairs ? b / 2 : b;
        for (int i = 0; i < distinct; i++)
        {
            long sample = start + i;
            int index = IndexOf(sample);
            bool flip = _mirror && DeterministicRandom.Below(2, _seed, DeterministicRandom.Streams.Mirror, sample) == 1;
            _images.Read(index, r, full);
            if (half is not null) _images.Read(index, r / 2, half);
            Write(data, i, r, full, half, alpha, flip);
            if (_flipPairs) Write(data, i + distinct, r, full, half, alpha, !flip);
        }
        var images = tensor(data, [b, 3, r, r]).DetachFromDisposeScope();
        return new TrainingBatch(images, start, position.PhaseIndex, r, alpha, _flipPairs);
    }

    private int IndexOf(long sample)
    {
        long epoch = sample / _trainCount;
        if (epoch != _permutationEpoch)
        {
            _permutation = DeterministicRandom.Permutation(_trainCount, _seed, DeterministicRandom.Streams.DataOrder, epoch);
            _permutationEpoch = epoch;
        }
        return _permutation![(int)(sample % _trainCount)];
    }

    /// <summary>HWC bytes → CHW floats in [-1, 1], optionally blended with the nearest-upsampled half-resolution image and mirrored.</summary>
    private static void Write(float[] data, int slot, int r, byte[] full, byte[]? half, double alpha, bool flip)
    {
        int pixels = r * r, hr = r / 2;
        int offset = slot * 3 * pixels;
        float a = (float)alpha, na = 1 - a;
        const float scale = 1f / 127.5f;
        for (int y = 0; y < r; y++)
        for (int x = 0; x < r; x++)
        {
            int sx = flip ? r - 1 - x : x;
            int src = (y * r + sx) * 3;
            int hsrc = half is null ? 0 : ((y / 2) * hr + sx / 2) * 3;
            for (int c = 0; c < 3; c++)
            {
                float v = full[src + c] * scale - 1f;
                if (half is not null) v = a * v + na * (half[hsrc + c] * scale - 1f);
                data[offset + c * pixels + y * r + x] = v;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join();
        while (_channel.Reader.TryRead(out var batch)) batch.Dispose();
        _stop.Dispose();
    }
}
