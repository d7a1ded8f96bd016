using Automodulator.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Automodulator.Core.Tests.Training;

public class AdamOptimizerTests
{
    private static List<(string, Parameter)> Parameters(long seed)
    {
        manual_seed(seed);
        // Sizes that a balanced split cannot cut evenly, and one parameter without a gradient.
        return new[] { 300L, 7, 64, 1, 128, 33 }.Select((n, i) => ($"p{i}", new Parameter(randn(n)))).ToList();
    }

    [Fact]
    public void Parts_of_an_update_run_on_different_threads_give_exactly_the_whole_update()
    {
        var whole = Parameters(11);
        var split = Parameters(11);
        using var a = new AdamOptimizer(whole, 0.01, 0.0, 0.99, 1e-8);
        using var b = new AdamOptimizer(split, 0.01, 0.0, 0.99, 1e-8);
        for (int step = 0; step < 3; step++)
        {
            manual_seed(100 + step);
            foreach (var ((_, p), (_, q)) in whole.Zip(split).Take(5))
            {
                var g = randn(p.shape);
                p.grad = g;
                q.grad = g.clone();
            }
            a.Step();
            var threads = Enumerable.Range(0, 3).Select(part => new Thread(() => b.Step(part, 3))).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }
        foreach (var ((name, p), (_, q)) in whole.Zip(split))
        {
            Assert.True(p.allclose(q, 0, 0), name);
            Assert.Null(q.grad);
        }
        // The parameter that never had a gradient did not move.
        using var fresh = Parameters(11)[5].Item2;
        Assert.True(whole[5].Item2.allclose(fresh, 0, 0));
    }

    [Fact]
    public void A_balanced_split_keeps_every_item_once_and_evens_out_the_sizes()
    {
        long[] sizes = [300, 7, 64, 1, 128, 33, 90];
        var parts = BalancedParts<long>.Balance(sizes, s => s, 2);
        Assert.Equal(sizes.Order(), parts.SelectMany(p => p).Order());
        // Largest first onto the lighter part: 300 | 128 + 90 + 64 + 33, then 7 and 1 onto the 300.
        Assert.Equal([308, 315], parts.Select(p => p.Sum()).ToArray());
    }
}
