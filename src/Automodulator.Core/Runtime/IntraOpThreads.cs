using System.Runtime.InteropServices;
using TorchSharp;

namespace Automodulator.Core.Runtime;

/// <summary>
/// Sets libtorch's intra-op thread count for the calling thread alone. <c>torch.set_num_threads</c> also rewrites the
/// process-wide count that every thread reads the first time it runs a parallel operation, so a thread started later
/// (another trainer, a test, the data reader) would silently compute its reductions with a different number of
/// threads, and so in a different order: its results would no longer repeat bit for bit. Under OpenMP the count is
/// per thread (omp_set_num_threads changes the caller's own setting), and so is MKL's for the matrix products
/// (MKL_Set_Num_Threads_Local, the C entry of mkl_set_num_threads_local): this sets both.
/// </summary>
internal static class IntraOpThreads
{
    private delegate void OmpSetNumThreads(int n);
    private delegate int MklSetNumThreadsLocal(int n);

    private static readonly Lazy<OmpSetNumThreads?> SetForThisThread = new(() => Find<OmpSetNumThreads>("libgomp", "omp_set_num_threads"));
    private static readonly Lazy<MklSetNumThreadsLocal?> SetMklForThisThread = new(() => Find<MklSetNumThreadsLocal>("libtorch_cpu", "MKL_Set_Num_Threads_Local"));

    /// <summary>This thread's count becomes <paramref name="threads"/>; returns false where libtorch does not use OpenMP (nothing is changed then).</summary>
    public static bool SetForCurrentThread(int threads)
    {
        if (SetForThisThread.Value is not { } set) return false;
        // libtorch sets a thread's count from the process-wide one on its first parallel operation; do that first so it
        // cannot overwrite ours later.
        torch.get_num_threads();
        set(threads);
        SetMklForThisThread.Value?.Invoke(threads);
        return torch.get_num_threads() == threads;
    }

    /// <summary>The function <paramref name="export"/> of the loaded library whose file name starts with <paramref name="library"/> (libtorch's own copies).</summary>
    private static T? Find<T>(string library, string export) where T : Delegate
    {
        if (!OperatingSystem.IsLinux()) return null;
        torch.get_num_threads();  // libtorch (and its OpenMP runtime) is loaded by now
        try
        {
            var path = File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .FirstOrDefault(p => p.StartsWith('/') && Path.GetFileName(p).StartsWith(library, StringComparison.Ordinal));
            if (path is null || !NativeLibrary.TryLoad(path, out var handle)) return null;
            return NativeLibrary.TryGetExport(handle, export, out var fn) ? Marshal.GetDelegateForFunctionPointer<T>(fn) : null;
        }
        catch (IOException) { return null; }
    }
}
