using Automodulator.Data.Faces;

namespace Automodulator.Data.Tests.Faces;

public class DlibShapePredictorReaderTests
{
    [Fact]
    public void Real_model_holds_68_points_in_15_levels_of_500_depth_4_trees()
    {
        var m = FaceFixtures.Predictor.Model;
        Assert.Equal(68, m.Parts);
        Assert.Equal(15, m.Levels);
        Assert.Equal(500, m.TreesPerLevel);
        Assert.Equal(4, m.TreeDepth);
        Assert.Equal(15, m.SplitsPerTree);
        Assert.Equal(16, m.LeavesPerTree);
        Assert.Equal(136, m.LeafLength);
        Assert.Equal(500, m.FeaturesPerLevel);
        // The mean shape lies in the unit box the face rectangle is normalised to.
        Assert.All(m.InitialShape, v => Assert.InRange(v, -0.2f, 1.2f));
    }

    [Fact]
    public void Truncated_model_is_rejected_with_reason()
    {
        Assert.True(DlibModelLocator.TryLocate(out var path), DlibModelLocator.InstallHint);
        var head = new byte[1 << 20];
        using (var f = File.OpenRead(path)) f.ReadExactly(head);
        var e = Assert.Throws<FormatException>(() => DlibShapePredictorReader.Read(head, "cut.dat"));
        Assert.Contains("cut.dat is truncated", e.Message);
        Assert.Contains("libdlib-data", e.Message);
    }

    [Fact]
    public void Non_dlib_file_is_rejected_with_reason()
    {
        var png = File.ReadAllBytes(Path.Combine(FaceFixtures.Dir, "astronaut.png"));
        var e = Assert.Throws<FormatException>(() => DlibShapePredictorReader.Read(png, "astronaut.png"));
        Assert.Contains("not a dlib", e.Message);
        var text = "hello, this is not a model"u8.ToArray();
        Assert.Throws<FormatException>(() => DlibShapePredictorReader.Read(text, "hello.txt"));
    }

    [Fact]
    public void Missing_model_names_the_debian_package_and_the_download()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DlibModelLocator.Locate("/nonexistent/model.dat"));
        Assert.Contains("libdlib-data", e.Message);
        Assert.Contains(DlibModelLocator.DownloadUrl, e.Message);
    }
}
