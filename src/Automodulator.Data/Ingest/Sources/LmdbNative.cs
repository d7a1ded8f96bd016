using System.Reflection;
using System.Runtime.InteropServices;
using LightningDB;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// Makes LightningDB's native name <c>lmdb</c> loadable everywhere: the linux-x64 liblmdb.so bundled in the
/// LightningDB package needs glibc 2.38, so where it does not load we fall back to the system's liblmdb.so.0
/// (Debian: liblmdb0, installed by scripts/setup.sh). Only the classic LMDB API is used, which both provide.
/// </summary>
public static class LmdbNative
{
    private static int _installed;

    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != "lmdb") return IntPtr.Zero;
        if (NativeLibrary.TryLoad(name, assembly, path, out var bundled)) return bundled;
        foreach (var candidate in new[] { "liblmdb.so.0", "liblmdb.so", "liblmdb.dylib", "lmdb.dll" })
            if (NativeLibrary.TryLoad(candidate, out var system)) return system;
        throw new DllNotFoundException("LMDB could not be loaded: the bundled liblmdb needs a newer glibc and no system liblmdb was found. Install it (Debian/Ubuntu: apt-get install liblmdb0) or run scripts/setup.sh.");
    }
}
