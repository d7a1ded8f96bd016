using Automodulator.Core.Runtime;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Runtime;

// In the Training collection, with the other tests that set thread counts.
[Collection("Training")]
public class IntraOpThreadsTests
{
    private static T OnNewThread<T>(Func<T> f)
    {
        T result = default!;
        var t = new Thread(() => result = f());
        t.Start();
        t.Join();
        return result;
    }

    [Fact]
    public void A_thread_count_set_for_one_thread_leaves_other_threads_alone()
    {
        if (!OperatingSystem.IsLinux()) return;
        int processWide = OnNewThread(get_num_threads);
        // A count different from the process-wide one, whatever the machine has.
        int mine = processWide + 1;
        var (applied, own) = OnNewThread(() => (IntraOpThreads.SetForCurrentThread(mine), get_num_threads()));
        Assert.True(applied);
        Assert.Equal(mine, own);
        // A thread started afterwards still gets the process-wide count (torch.set_num_threads would have changed it).
        Assert.Equal(processWide, OnNewThread(get_num_threads));
    }
}
