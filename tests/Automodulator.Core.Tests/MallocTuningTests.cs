using Automodulator.Abstractions.Runtime;

namespace Automodulator.Core.Tests;

public class MallocTuningTests
{
    [Fact]
    public void Glibc_keeps_freed_tensor_memory_unless_the_user_tunes_malloc()
    {
        if (!OperatingSystem.IsLinux()) return;
        bool userTuned = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal) || k == "GLIBC_TUNABLES");
        Assert.Equal(!userTuned, NativeRuntime.MallocTuned);
    }
}
