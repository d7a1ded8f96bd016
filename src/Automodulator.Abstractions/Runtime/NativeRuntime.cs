using System.Runtime.InteropServices;

namespace Automodulator.Abstractions.Runtime;

/// <summary>
/// Makes TorchSharp's native wrapper loadable before anything touches it. On systems whose libstdc++ predates GCC 13
/// the build places <c>libstdcxx_compat.so</c> (defines <c>std::ios_base_library_init</c>) next to a patched
/// <c>libLibTorchSharp.so</c>; it must be in the global symbol scope before that library loads. Where the build
/// found a new enough libstdc++ there is no shim and this does nothing. Every assembly of ours that calls TorchSharp
/// calls <see cref="EnsureLoaded"/> from a module initializer, so no entry point can reach TorchSharp first.
/// </summary>
public static class NativeRuntime
{
    private const int RtldNow = 2;
    private const int RtldGlobal = 0x100;
    private static readonly object Gate = new();
    private static bool _done;

    /// <summary>Path of the shim that was loaded, or null when none was needed.</summary>
    public static string? LoadedShim { get; private set; }

    /// <summary>Loads the compatibility shim if the build put one in the application folder. Idempotent.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_done) return;
            _done = true;
            if (!OperatingSystem.IsLinux()) return;
            PreferPassiveOpenMpWaits();
            KeepFreedTensorMemory();
            foreach (var dir in CandidateDirectories())
            {
                var shim = Path.Combine(dir, "libstdcxx_compat.so");
                if (!File.Exists(shim)) continue;
                if (dlopen(shim, RtldNow | RtldGlobal) == IntPtr.Zero)
                    throw new InvalidOperationException(
                        $"Could not load the libstdc++ compatibility shim {shim}: {Marshal.PtrToStringAnsi(dlerror())}. Rebuild the project (dotnet build) to recreate it.");
                LoadedShim = shim;
                return;
            }
        }
    }

    /// <summary>
    /// libtorch's OpenMP threads spin at every barrier by default. When the cores are shared (other jobs, a data
    /// thread, several test processes) the spinning threads starve the working ones: measured on 2 shared cores, a
    /// width64 training iteration took 10.0 s with the default policy and 0.68 s with OMP_WAIT_POLICY=PASSIVE. libgomp
    /// reads the variable once, when it loads, so it is set here, before TorchSharp loads libtorch, unless the user
    /// set OMP_WAIT_POLICY or GOMP_SPINCOUNT. On a dedicated machine spinning is faster (width64, bf16, 2 idle cores:
    /// 0.24 s per 32×32 iteration spinning vs 0.30 s passive): export GOMP_SPINCOUNT=20000 (a short spin) or
    /// OMP_WAIT_POLICY=ACTIVE there.
    /// </summary>
    private static void PreferPassiveOpenMpWaits()
    {
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null) return;
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    }

    /// <summary>True when <see cref="KeepFreedTensorMemory"/> changed glibc's malloc settings in this process.</summary>
    public static bool MallocTuned { get; private set; }

    /// <summary>
    /// libtorch allocates every intermediate tensor with malloc. glibc serves big blocks with fresh mmap pages and gives
    /// the top of the heap back to the kernel as soon as it is free, so a training iteration, which frees and
    /// re-allocates the same few hundred tensors, page-faults its memory in again every time (measured: 288 k minor
    /// faults for a 23-iteration width64 benchmark). Serving blocks below 32 MB from the heap and keeping 256 MB of
    /// padding at its top cuts that to 107 k and makes iterations ≈ 5 % faster (bench train, bf16, 32×32: 70.9 →
    /// 74.6 samples/s). Memory the process has used stays mapped to it (as libtorch's CUDA caching allocator does).
    /// Not applied when the user tunes malloc (MALLOC_*_ or GLIBC_TUNABLES).
    /// </summary>
    private static void KeepFreedTensorMemory()
    {
        const int mTopPad = -2, mMmapThreshold = -3;
        var env = Environment.GetEnvironmentVariables().Keys.Cast<string>();
        if (env.Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal) || k == "GLIBC_TUNABLES")) return;
        try
        {
            MallocTuned = mallopt(mMmapThreshold, 32 << 20) == 1 && mallopt(mTopPad, 256 << 20) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt): nothing to tune.
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    private static IEnumerable<string> CandidateDirectories()
    {
        var baseDir = AppContext.BaseDirectory;
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        yield return Path.Combine(baseDir, "runtimes", rid, "native");
        yield return baseDir;
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string fileName, int flags);

    [DllImport("libc", EntryPoint = "dlerror")]
    private static extern IntPtr dlerror();
}
