using Automodulator.Data.Imaging;

namespace Automodulator.Tests.Shared;

/// <summary>Where the repository and its build outputs are, seen from a test's output folder.</summary>
internal static class RepoPaths
{
    public static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Automodulator.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    /// <summary>The sample plugins as the build lays them out (artifacts/plugins/&lt;Name&gt;/).</summary>
    public static string SamplePlugins => Path.Combine(Root(), "artifacts", "plugins");
}

/// <summary>Generated pictures shared by the test projects.</summary>
internal static class TestImages
{
    /// <summary>A picture with no face: smooth gradients, a few flat shapes and mild noise.</summary>
    public static RgbImage FaceFree(int w = 400, int h = 300)
    {
        var r = new RgbImage(w, h);
        var rng = new Random(7);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = (y * w + x) * 3;
                bool block = (x / 80 + y / 60) % 3 == 0;
                r.Pixels[o] = (byte)Math.Clamp(x * 200 / w + rng.Next(-6, 7) + (block ? 30 : 0), 0, 255);
                r.Pixels[o + 1] = (byte)Math.Clamp(y * 180 / h + rng.Next(-6, 7), 0, 255);
                r.Pixels[o + 2] = (byte)Math.Clamp(120 + rng.Next(-6, 7) - (block ? 40 : 0), 0, 255);
            }
        return r;
    }
}
