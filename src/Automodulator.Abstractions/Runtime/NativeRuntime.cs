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
