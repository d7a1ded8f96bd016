using System.Text.Json;
using Automodulator.Data.Imaging;
using Automodulator.Data.Ingest;
using Automodulator.Data.Ingest.Sources;

namespace Automodulator.Data.Tests.Ingest;

/// <summary>
/// tests/fixtures/celebahq_h5 (made by tests/tools/celebahq_h5/make_fixtures.py with h5py and h5tool.py's exact
/// dataset settings): celebahq16.h5 with its images as PNGs, a grayscale file and an HDF5 file of another layout.
/// </summary>
public sealed class CelebAHqH5SourceTests : IDisposable
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "celebahq_h5");
    private readonly string _tmp = Path.Combine(Path.GetTempPath(), "amod-h5-" + Guid.NewGuid().ToString("N"));

    public CelebAHqH5SourceTests() => Directory.CreateDirectory(_tmp);

    public void Dispose() => Directory.Delete(_tmp, true);

    [Fact]
    public void H5tool_layout_is_read_image_by_image_and_equals_the_same_images_as_png()
    {
        using var source = new CelebAHqH5Source(Path.Combine(Dir, "celebahq16.h5"));
        Assert.Equal(6, source.Count);
        Assert.Equal("data16x16", source.Dataset);
        Assert.Equal(3, source.Channels);
        Assert.Equal([16, 8, 4, 2, 1], source.Levels);
        var items = source.Enumerate(0, source.Count).ToList();
        Assert.Equal("data16x16[5]", items[5].Id);
        foreach (var item in items)
        {
            var png = ImageDecoder.Decode(Path.Combine(Dir, "png", $"img{item.Index:D8}.png"));
            Assert.Equal(png.Pixels, source.Read(item, 16).Pixels);
        }
    }

    [Fact]
    public void The_files_lower_levels_equal_our_pyramid_of_the_top_level()
    {
        // h5tool averaged the unrounded float level above and rounded with np.round; our pyramid must agree exactly.
        using var source = new CelebAHqH5Source(Path.Combine(Dir, "celebahq16.h5"));
        for (long i = 0; i < source.Count; i++)
        {
            var levels = ImagePyramid.Build(source.ReadImage(i, 16), 4, 16).ToDictionary(l => l.Width);
            Assert.Equal(source.ReadImage(i, 8).Pixels, levels[8].Pixels);
            Assert.Equal(source.ReadImage(i, 4).Pixels, levels[4].Pixels);
        }
    }

    [Fact]
    public void Grayscale_layout_is_read_as_grey_rgb()
    {
        using var source = new CelebAHqH5Source(Path.Combine(Dir, "gray8.h5"));
        Assert.Equal((3L, 1, 8), (source.Count, source.Channels, source.Side));
        var img = source.ReadImage(2, 8);
        bool varied = false;
        for (int i = 0; i < img.Pixels.Length; i += 3)
        {
            Assert.Equal(img.Pixels[i], img.Pixels[i + 1]);
            Assert.Equal(img.Pixels[i], img.Pixels[i + 2]);
            varied |= img.Pixels[i] != img.Pixels[0];
        }
        Assert.True(varied);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void Truncated_h5_is_refused_with_a_clear_error(double keep)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Dir, "celebahq16.h5"));
        var path = Path.Combine(_tmp, "cut.h5");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        var e = Assert.Throws<FormatException>(() => new CelebAHqH5Source(path));
        Assert.Contains("not a readable HDF5 file", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_hdf5_is_refused_with_a_clear_error()
    {
        var path = Path.Combine(_tmp, "notes.h5");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("this is not an HDF5 file. ", 200)));
        var e = Assert.Throws<FormatException>(() => new CelebAHqH5Source(path));
        Assert.Contains("not a readable HDF5 file", e.Message);
    }

    [Fact]
    public void Hdf5_without_data_levels_is_refused_naming_the_expected_layout()
    {
        var e = Assert.Throws<FormatException>(() => new CelebAHqH5Source(Path.Combine(Dir, "other.h5")));
        Assert.Contains("data{R}x{R}", e.Message);
        Assert.Contains("h5tool", e.Message);
    }

    [Fact]
    public void A_damaged_chunk_is_a_reject_of_that_image_only()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "celebahq16.chunks.json")));
        var chunk = doc.RootElement.GetProperty("chunks").EnumerateArray().Single(c => c.GetProperty("index").GetInt32() == 2);
        var bytes = File.ReadAllBytes(Path.Combine(Dir, "celebahq16.h5"));
        int offset = chunk.GetProperty("offset").GetInt32(), size = chunk.GetProperty("size").GetInt32();
        for (int i = offset + 8; i < offset + size - 8; i++) bytes[i] = 0x55;
        var path = Path.Combine(_tmp, "damaged.h5");
        File.WriteAllBytes(path, bytes);

        using var source = new CelebAHqH5Source(path);
        var items = source.Enumerate(0, 6).ToList();
        var e = Assert.Throws<IngestRejectException>(() => source.Read(items[2], 16));
        Assert.Contains("data16x16[2] cannot be read", e.Message);
        Assert.Equal(ImageDecoder.Decode(Path.Combine(Dir, "png", "img00000003.png")).Pixels, source.Read(items[3], 16).Pixels);
    }

    [Fact]
    public void A_cache_larger_than_the_file_side_is_refused_up_front()
    {
        using var source = new CelebAHqH5Source(Path.Combine(Dir, "celebahq16.h5"));
        var e = Assert.Throws<ArgumentException>(() => source.Describe(32));
        Assert.Contains("--resolution 16", e.Message);
    }
}
