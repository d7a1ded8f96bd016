using System.Runtime.CompilerServices;
using Automodulator.Abstractions.Runtime;

namespace Automodulator.Hosting;

internal static class NativeRuntimeInitializer
{
#pragma warning disable CA2255 // the one hook that runs before any TorchSharp call from this assembly
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => NativeRuntime.EnsureLoaded();
}
