using System.Diagnostics;
using Automodulator.Abstractions.Runtime;

namespace Automodulator.Cli.Tests;

/// <summary>The build step that makes TorchSharp load on Debian 12 (build/torchsharp-compat/apply.sh).</summary>
public sealed class TorchSharpCompatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-compat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoRoot() => Automodulator.Tests.Shared.RepoPaths.Root();

    private static string OriginalLibrary()
    {
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetEnvironmentVariable("HOME")!, ".nuget", "packages");
        return Directory.GetFiles(Path.Combine(home, "torchsharp"), "libLibTorchSharp.so", SearchOption.AllDirectories)
            .First(f => f.Contains("linux-x64", StringComparison.Ordinal));
    }

    private (string Lib, int Exit) Apply(string fakeStdcxx)
    {
        var native = Path.Combine(_dir, "out", "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        var lib = Path.Combine(native, "libLibTorchSharp.so");
        File.Copy(OriginalLibrary(), lib, overwrite: true);
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoRoot(), "build", "torchsharp-compat", "apply.sh"));
        psi.ArgumentList.Add(Path.Combine(_dir, "out"));
        psi.Environment["TORCHSHARP_COMPAT_LIBSTDCXX"] = fakeStdcxx;
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return (lib, p.ExitCode);
    }

    [Fact]
    public void Newer_libstdcxx_gets_no_patching_at_all()
    {
        var fake = Path.Combine(_dir, "libstdc++.so.6");
        File.WriteAllText(fake, "GLIBCXX_3.4.30\0GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0GLIBCXX_3.4.33\0");
        var (lib, exit) = Apply(fake);
        Assert.Equal(0, exit);
        Assert.Equal(File.ReadAllBytes(OriginalLibrary()), File.ReadAllBytes(lib));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(lib)!, "libstdcxx_compat.so")));
    }

    [Fact]
    public void Older_libstdcxx_gets_the_shim_and_a_weak_version_need_in_the_output_copy_only()
    {
        var fake = Path.Combine(_dir, "libstdc++.so.6");
        File.WriteAllText(fake, "GLIBCXX_3.4.29\0GLIBCXX_3.4.30\0");
        var original = File.ReadAllBytes(OriginalLibrary());
        var (lib, exit) = Apply(fake);
        Assert.Equal(0, exit);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(lib)!, "libstdcxx_compat.so")));
        var patched = File.ReadAllBytes(lib);
        Assert.Equal(original.Length, patched.Length);
        // Exactly one 16-bit vna_flags field changes, by the VER_FLG_WEAK bit (0x2).
        var diffs = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.Single(diffs);
        Assert.Equal(0x2, original[diffs[0]] ^ patched[diffs[0]]);
        Assert.Equal(original, File.ReadAllBytes(OriginalLibrary()));
        // Idempotent: a second run leaves the patched file as it is.
        var (_, exit2) = Apply(fake);
        Assert.Equal(0, exit2);
    }

    [Fact]
    public void This_process_loaded_the_shim_when_the_system_needed_it()
    {
        var systemHasNew = File.Exists("/usr/lib/x86_64-linux-gnu/libstdc++.so.6") &&
                           File.ReadAllText("/usr/lib/x86_64-linux-gnu/libstdc++.so.6").Contains("GLIBCXX_3.4.32");
        NativeRuntime.EnsureLoaded();
        using var t = TorchSharp.torch.ones(3);
        Assert.Equal(3f, t.sum().item<float>());
        if (systemHasNew) Assert.Null(NativeRuntime.LoadedShim);
        else Assert.NotNull(NativeRuntime.LoadedShim);
    }
}
