using Automodulator.Data.Cache;
using Automodulator.Hosting.Ingest;

namespace Automodulator.Hosting.Tests.Sources;

/// <summary>CMYK JPEGs (tests/fixtures/cmyk, from tests/tools/cmyk_jpeg) go into a cache like their RGB original.</summary>
public sealed class CmykIngestTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "amod-cmyk-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    [Fact]
    public async Task Cmyk_jpegs_are_ingested_with_the_colours_of_their_rgb_original()
    {
        var fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "cmyk");
        Directory.CreateDirectory(Path.Combine(_root, "photos"));
        foreach (var f in new[] { "reference.png", "cmyk_pil.jpg", "cmyk_k.jpg" }) File.Copy(Path.Combine(fixtures, f), Path.Combine(_root, "photos", f));
        using var source = IngestSourceFactory.Create("folder", new SourceSettings { Input = Path.Combine(_root, "photos") });
        var summary = await new IngestPipeline(source, new IngestOptions { Output = Path.Combine(_root, "cache"), Resolution = 32, Workers = 2, ShardSize = 4 })
            .RunAsync();
        Assert.Equal((3L, 0L), (summary.Kept, summary.Rejected));

        using var reader = CacheReader.Open(Path.Combine(_root, "cache"));
        var ids = reader.Items().Select(i => i.Id).ToList();
        var reference = reader.Get(ids.IndexOf("reference.png"), 32);
        foreach (var name in new[] { "cmyk_pil.jpg", "cmyk_k.jpg" })
        {
            var img = reader.Get(ids.IndexOf(name), 32);
            double sum = 0;
            for (int i = 0; i < img.Pixels.Length; i++) sum += Math.Abs(img.Pixels[i] - reference.Pixels[i]);
            Assert.True(sum / img.Pixels.Length < 3, $"{name}: mean |RGB − original| = {sum / img.Pixels.Length:F2}");
        }
    }
}
