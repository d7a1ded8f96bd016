using Automodulator.Abstractions.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Runtime;

/// <summary>Resolves the user's <c>--device auto|cpu|cuda[:N]</c> choice to a TorchSharp device.</summary>
public static class DeviceSelector
{
    public static Device Resolve(string choice)
    {
        NativeRuntime.EnsureLoaded();
        var c = choice.Trim().ToLowerInvariant();
        if (c == "cpu") return CPU;
        if (c == "auto") return cuda.is_available() ? CUDA : CPU;
        if (c == "cuda" || c.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new DeviceUnavailableException(
                    "CUDA was requested (--device " + choice + ") but no CUDA device is usable: this build uses " +
                    (IsCudaBuild ? "TorchSharp-cuda-linux but no GPU or driver was found" : "the CPU TorchSharp package") +
                    ". Rebuild with -p:TorchBackend=cuda on a machine with an NVIDIA driver, or pass --device cpu (or auto).");
            return c == "cuda" ? CUDA : new Device(c);
        }
        throw new ArgumentException($"Unknown device '{choice}'. Use auto, cpu, cuda or cuda:N.", nameof(choice));
    }

    /// <summary>True when this build references the CUDA native bundle (set by -p:TorchBackend=cuda).</summary>
    public static bool IsCudaBuild =>
        AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp") &&
        File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libtorch_cuda.so"));

    /// <summary>Sets the number of CPU threads libtorch uses (0 = leave libtorch's default).</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0) set_num_threads(threads);
    }
}

/// <summary>The requested compute device cannot be used.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);
