using Automodulator.Abstractions;

namespace Automodulator.Core.Tests.Model;

public class LayerRangeTests
{
    private static readonly int[] Res256 = [4, 4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256, 256];

    [Fact]
    public void Named_ranges_follow_the_paper_scales()
    {
        Assert.Equal(new[] { 0, 1, 2, 3 }, LayerRange.Coarse.Resolve(Res256));
        Assert.Equal(new[] { 4, 5, 6, 7 }, LayerRange.Intermediate.Resolve(Res256));
        Assert.Equal(new[] { 8, 9, 10, 11, 12, 13 }, LayerRange.Fine.Resolve(Res256));
        Assert.Equal(Enumerable.Range(0, 14), LayerRange.All.Resolve(Res256));
    }

    [Theory]
    [InlineData("coarse", new[] { 0, 1, 2, 3 })]
    [InlineData("layers:3-5", new[] { 2, 3, 4 })]
    [InlineData("2-2", new[] { 1 })]
    [InlineData("res:16-32", new[] { 4, 5, 6, 7 })]
    [InlineData("res:128", new[] { 10, 11 })]
    public void Ranges_parse_from_text(string text, int[] expected) =>
        Assert.Equal(expected, LayerRange.Parse(text).Resolve(Res256));

    [Fact]
    public void Bad_range_text_says_what_is_accepted()
    {
        var ex = Assert.Throws<FormatException>(() => LayerRange.Parse("middle-ish"));
        Assert.Contains("coarse, intermediate, fine", ex.Message);
    }
}
