using Automodulator.Core.Training;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

public class ShardWorkersTests
{
    [Fact]
    public void A_failing_shard_is_reported_on_the_calling_thread_after_the_others_finish_and_the_workers_stay_usable()
    {
        using var workers = new ShardWorkers(2);
        var finished = new bool[2];
        workers.Begin();
        var e = Assert.Throws<InvalidOperationException>(() => workers.Run(2, i =>
        {
            if (i == 0) throw new InvalidOperationException("shard 0 failed");
            Thread.Sleep(50);
            finished[i] = true;
        }));
        Assert.Equal("shard 0 failed", e.Message);
        Assert.True(finished[1]);
        workers.End();

        // Tensors a shard makes live until End, are disposed on its own thread, and the next round runs normally.
        var before = workers.LiveTensorCounts();
        workers.Begin();
        workers.Run(2, i => ones(3).mul(i));
        workers.End();
        Assert.Equal(before, workers.LiveTensorCounts());
    }

    [Fact]
    public void Shard_threads_run_on_one_intra_op_thread_each()
    {
        using var workers = new ShardWorkers(2);
        var counts = new int[2];
        workers.Run(2, i => counts[i] = get_num_threads());
        Assert.Equal([1, 1], counts);
    }
}
