using Automodulator.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Model;

public class LeakTests
{
    [Fact]
    public void Forward_passes_inside_a_dispose_scope_leave_no_live_tensors()
    {
        using var net = AutomodulatorNetwork.Create(TestConfigs.Tiny(16, extraLayer: 8), seed: 4);
        net.train();
        // Warm up once so lazily created state does not count.
        using (var warm = NewDisposeScope()) RoundTrip(net);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            RoundTrip(net);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private static void RoundTrip(AutomodulatorNetwork net)
    {
        var z = nn.functional.normalize(randn(2, 16), dim: 1);
        var x = net.Decoder.Decode(z, 16, 0.5);
        var z2 = net.Encoder.call(x, 0.5);
        z2.sum().backward();
    }
}
