using System.Runtime.ExceptionServices;
using Automodulator.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Training;

/// <summary>
/// Dedicated threads that each run their shard of a batch with one intra-op thread. On a few CPU cores this beats
/// spreading every small libtorch operation over all cores: a width-64 iteration is thousands of operations of a few
/// hundred microseconds, and each OpenMP fork/join costs about as much as the work it splits. Shards compute whole
/// forward and backward passes side by side instead, with no synchronisation inside a pass.
/// <para>Each worker keeps a dispose scope open from <see cref="Begin"/> to <see cref="End"/>: what it computes for the
/// main thread (outputs, gradients) lives until then, and is disposed on the thread that made it.</para>
/// </summary>
internal sealed class ShardWorkers : IDisposable
{
    private readonly Worker[] _workers;

    public ShardWorkers(int count)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), "Shard workers are for two or more shards.");
        _workers = Enumerable.Range(0, count).Select(i => new Worker(i)).ToArray();
    }

    public int Count => _workers.Length;

    /// <summary>Opens each worker's scope for one iteration.</summary>
    public void Begin() => OnEvery(w => w.Open());

    /// <summary>Runs <paramref name="work"/>(i) on workers 0..<paramref name="shards"/>−1 at once and waits for all; a failure is rethrown here after every worker has stopped.</summary>
    public void Run(int shards, Action<int> work)
    {
        if (shards > _workers.Length) throw new ArgumentOutOfRangeException(nameof(shards));
        foreach (var w in _workers.Take(shards)) w.Post(() => work(w.Index));
        Wait(_workers.Take(shards));
    }

    /// <summary>Disposes each worker's scope: everything it made since <see cref="Begin"/>.</summary>
    public void End() => OnEvery(w => w.Close());

    /// <summary>Tensors alive on each worker thread, outside its iteration scope (for leak tests).</summary>
    public long[] LiveTensorCounts()
    {
        var counts = new long[_workers.Length];
        Run(_workers.Length, i => counts[i] = DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        return counts;
    }

    private void OnEvery(Action<Worker> action)
    {
        foreach (var w in _workers) w.Post(() => action(w));
        Wait(_workers);
    }

    private static void Wait(IEnumerable<Worker> workers)
    {
        Exception? first = null;
        foreach (var w in workers)
        {
            var e = w.Wait();
            first ??= e;
        }
        if (first is not null) ExceptionDispatchInfo.Capture(first).Throw();
    }

    public void Dispose()
    {
        foreach (var w in _workers) w.Dispose();
    }

    private sealed class Worker : IDisposable
    {
        private readonly Thread _thread;
        private readonly SemaphoreSlim _start = new(0);
        private readonly SemaphoreSlim _done = new(0);
        private Action? _work;
        private Exception? _error;
        private DisposeScope? _scope;
        private volatile bool _stop;

        public Worker(int index)
        {
            Index = index;
            _thread = new Thread(Loop) { IsBackground = true, Name = $"automod shard {index}" };
            _thread.Start();
        }

        public int Index { get; }

        public void Post(Action work)
        {
            _work = work;
            _error = null;
            _start.Release();
        }

        public Exception? Wait()
        {
            _done.Wait();
            return _error;
        }

        public void Open()
        {
            _scope?.Dispose();
            _scope = NewDisposeScope();
        }

        public void Close()
        {
            _scope?.Dispose();
            _scope = null;
        }

        private void Loop()
        {
            // One intra-op thread here: the shards are the parallelism. Set for this thread only (IntraOpThreads says
            // why); a libtorch without OpenMP has one pool for all threads, and then its count is left alone.
            IntraOpThreads.SetForCurrentThread(1);
            while (true)
            {
                _start.Wait();
                if (_stop) break;
                try { _work!(); }
                catch (Exception e) { _error = e; }
                finally { _done.Release(); }
            }
            Close();
        }

        public void Dispose()
        {
            _stop = true;
            _start.Release();
            _thread.Join();
            _start.Dispose();
            _done.Dispose();
        }
    }
}
