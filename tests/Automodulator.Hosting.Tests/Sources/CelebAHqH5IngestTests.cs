using Automodulator.Data.Cache;
using Automodulator.Data.Ingest.Sources;
using Automodulator.Hosting.Ingest;

namespace Automodulator.Hosting.Tests.Sources;

/// <summary>CelebA-HQ from PGGAN's h5tool HDF5 layout through the whole pipeline (fixtures: tests/tools/celebahq_h5).</summary>
public sealed class CelebAHqH5IngestTests : IDisposable
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "celebahq_h5");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "amod-h5i-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private string P(string name) => Path.Combine(_root, name);

    private static IngestSummary Run(Data.Ingest.IIngestSource source, string output, int resolution, int workers = 2) =>
        new IngestPipeline(source, new IngestOptions { Output = output, Resolution = resolution, Workers = workers, ShardSize = 4, ChannelCapacity = 2 })
            .RunAsync().GetAwaiter().GetResult();

    [Fact]
    public void Ingest_from_h5_equals_ingest_from_the_same_images_as_png()
    {
        // `celebahq FILE.h5` is routed to the HDF5 reader; `celebahq FOLDER` reads the PNGs h5tool extract would write.
        using var h5 = IngestSourceFactory.Create("celebahq", new SourceSettings { Input = Path.Combine(Dir, "celebahq16.h5") });
        using var png = IngestSourceFactory.Create("celebahq", new SourceSettings { Input = Path.Combine(Dir, "png") });
        Assert.IsType<CelebAHqH5Source>(h5);
        var a = Run(h5, P("from-h5"), 16, workers: 3);
        var b = Run(png, P("from-png"), 16, workers: 1);
        Assert.Equal((6L, 0L), (a.Kept, a.Rejected));
        Assert.Equal("celebahq-h5", a.Manifest.Source.Kind);
        Assert.Equal("data16x16", a.Manifest.Source.Options["dataset"]);
        Assert.Equal(b.Manifest.Shards.Select(s => s.Files), a.Manifest.Shards.Select(s => s.Files), new FilesComparer());
        foreach (var shard in Directory.GetDirectories(P("from-png/shards")))
            foreach (var level in new[] { 4, 8, 16 })
            {
                var name = Path.Combine(Path.GetFileName(shard), CacheLayout.LevelFile(level));
                Assert.Equal(File.ReadAllBytes(Path.Combine(shard, CacheLayout.LevelFile(level))), File.ReadAllBytes(P("from-h5/shards/" + name)));
            }
        using var ra = CacheReader.Open(P("from-h5"));
        using var rb = CacheReader.Open(P("from-png"));
        Assert.Equal(rb.Items().Select(i => i.Sha256), ra.Items().Select(i => i.Sha256));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"data16x16[{i}]"), ra.Items().Select(i => i.Id));
    }

    [Fact]
    public void A_damaged_image_in_the_h5_is_a_reject_and_the_run_goes_on()
    {
        Directory.CreateDirectory(_root);
        var bytes = File.ReadAllBytes(Path.Combine(Dir, "celebahq16.h5"));
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "celebahq16.chunks.json"))))
        {
            var chunk = doc.RootElement.GetProperty("chunks")[4];
            int offset = chunk.GetProperty("offset").GetInt32(), size = chunk.GetProperty("size").GetInt32();
            Array.Fill(bytes, (byte)0xA5, offset + 4, size - 8);
        }
        File.WriteAllBytes(P("damaged.h5"), bytes);
        using var source = IngestSourceFactory.Create("celebahq-h5", new SourceSettings { Input = P("damaged.h5") });
        var summary = Run(source, P("cache"), 8);
        Assert.Equal((5L, 1L), (summary.Kept, summary.Rejected));
        using var reader = CacheReader.Open(P("cache"));
        var reject = Assert.Single(reader.Rejects());
        Assert.Equal(4, reject.SourceIndex);
        Assert.Contains("cannot be read", reject.Reason);
    }

    [Fact]
    public void A_file_that_is_not_hdf5_given_as_celebahq_is_refused_with_a_clear_error()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllBytes(P("celeba-hq.h5"), [0x89, 0x48, 0x44, 0x46]);
        var ex = Assert.Throws<FormatException>(() => IngestSourceFactory.Create("celebahq", new SourceSettings { Input = P("celeba-hq.h5") }));
        Assert.Contains("not a readable HDF5 file", ex.Message);
    }

    private sealed class FilesComparer : IEqualityComparer<IReadOnlyDictionary<string, string>>
    {
        public bool Equals(IReadOnlyDictionary<string, string>? x, IReadOnlyDictionary<string, string>? y) =>
            x!.OrderBy(kv => kv.Key).SequenceEqual(y!.OrderBy(kv => kv.Key));

        public int GetHashCode(IReadOnlyDictionary<string, string> obj) => obj.Count;
    }
}
