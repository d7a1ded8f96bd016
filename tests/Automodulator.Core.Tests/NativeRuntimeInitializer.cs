using System.Runtime.CompilerServices;
using Automodulator.Abstractions.Runtime;

namespace Automodulator.Core.Tests;

internal static class NativeRuntimeInitializer
{
#pragma warning disable CA2255 // tests call TorchSharp directly: prepare the native runtime (and OpenMP's wait policy) first
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => NativeRuntime.EnsureLoaded();
}
