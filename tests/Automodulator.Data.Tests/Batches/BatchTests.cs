using Automodulator.Data.Batches;
using Automodulator.Data.Imaging;
using static TorchSharp.torch;

namespace Automodulator.Data.Tests.Batches;

public class BatchTests
{
    /// <summary>Images whose pixels encode (index, x, y, channel), with a box-averaged lower level.</summary>
    private sealed class PatternSource(int count, bool canMirror = true) : IImageSource
    {
        public int Count => count;
        public bool CanMirror => canMirror;

        public RgbImage Get(int index, int resolution)
        {
            var full = new RgbImage(8, 8);
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++)
                    for (int c = 0; c < 3; c++)
                        full.Pixels[(y * 8 + x) * 3 + c] = (byte)(index * 20 + x * 9 + y * 3 + c * 50);
            var levels = ImagePyramid.Build(full, 4);
            return levels.Single(l => l.Width == resolution);
        }
    }

    private static float Pixel(Tensor t, int b, int c, int y, int x) => t[b, c, y, x].item<float>();

    [Fact]
    public void Without_augmentation_batches_hold_the_source_images_in_minus_one_to_one()
    {
        var src = new PatternSource(5);
        var asm = new BatchAssembler(src, new BatchOptions(MirrorAugment: false));
        using var batch = asm.Next(new BatchRequest(5, 8));
        Assert.Equal(new long[] { 5, 3, 8, 8 }, batch.Images.shape);
        Assert.Equal(Enumerable.Range(0, 5), batch.Indices.Order());
        for (int i = 0; i < 5; i++)
        {
            var expected = src.Get(batch.Indices[i], 8);
            Assert.Equal(expected.Pixels, TensorImages.ToImage(batch.Images[i]).Pixels);
        }
        Assert.Null(batch.FlipPairs);
    }

    [Fact]
    public void Fade_in_blends_the_level_with_the_upsampled_level_below()
    {
        var src = new PatternSource(3);
        var options = new BatchOptions(MirrorAugment: false, Seed: 9);
        using var full = new BatchAssembler(src, options).Next(new BatchRequest(3, 8, 1));
        using var low = new BatchAssembler(src, options).Next(new BatchRequest(3, 8, 0));
        using var half = new BatchAssembler(src, options).Next(new BatchRequest(3, 8, 0.25));
        int idx = low.Indices[1];
        var small = src.Get(idx, 4);
        // α = 0: pixel (y, x) is the 4×4 level's pixel (y/2, x/2).
        Assert.Equal(small.Pixels[((3 / 2) * 4 + 5 / 2) * 3 + 1] / 127.5f - 1, Pixel(low.Images, 1, 1, 3, 5), 5);
        // α = 0.25: a quarter of the full level and three quarters of the upsampled one.
        float expected = 0.25f * Pixel(full.Images, 1, 2, 6, 1) + 0.75f * Pixel(low.Images, 1, 2, 6, 1);
        Assert.Equal(expected, Pixel(half.Images, 1, 2, 6, 1), 5);
        Assert.Equal(0.25, half.Alpha);
    }

    [Fact]
    public void Flip_pairs_are_mirrors_of_the_first_images_of_the_batch()
    {
        var asm = new BatchAssembler(new PatternSource(10), new BatchOptions(FlipPairShare: 0.25, MirrorAugment: true, Seed: 3));
        using var batch = asm.Next(new BatchRequest(8, 8));
        Assert.NotNull(batch.FlipPairs);
        Assert.Equal(new long[] { 2, 3, 8, 8 }, batch.FlipPairs!.shape);
        using var expected = batch.Images.narrow(0, 0, 2).flip(3);
        Assert.True(expected.equal(batch.FlipPairs).all().item<bool>());
        Assert.False(batch.Images.narrow(0, 0, 2).equal(batch.FlipPairs).all().item<bool>());
    }

    [Fact]
    public void Mirror_augmentation_mirrors_about_half_the_images()
    {
        var src = new PatternSource(64);
        var asm = new BatchAssembler(src, new BatchOptions(MirrorAugment: true, Seed: 1));
        using var batch = asm.Next(new BatchRequest(64, 8));
        int mirrored = 0;
        for (int i = 0; i < 64; i++)
        {
            var img = TensorImages.ToImage(batch.Images[i]).Pixels;
            var orig = src.Get(batch.Indices[i], 8).Pixels;
            if (!img.SequenceEqual(orig)) mirrored++;
        }
        Assert.InRange(mirrored, 16, 48);
    }

    [Fact]
    public void Sources_that_must_not_be_mirrored_refuse_flip_pairs_and_augmentation()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BatchAssembler(new PatternSource(4, canMirror: false), new BatchOptions(FlipPairShare: 0.5, MirrorAugment: false)));
        Assert.Contains("mirror", ex.Message);
        using var ok = new BatchAssembler(new PatternSource(4, canMirror: false), new BatchOptions(MirrorAugment: false)).Next(new BatchRequest(2, 4));
        Assert.Equal(2, ok.Images.shape[0]);
    }

    [Fact]
    public void Every_image_is_seen_once_per_epoch()
    {
        var asm = new BatchAssembler(new PatternSource(10), new BatchOptions(MirrorAugment: false, Seed: 5));
        var seen = new List<int>();
        for (int i = 0; i < 5; i++) { using var b = asm.Next(new BatchRequest(2, 4)); seen.AddRange(b.Indices); }
        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 10), seen);
    }

    [Fact]
    public void Prefetcher_yields_the_same_batches_as_the_assembler_following_the_schedule()
    {
        var src = new SyntheticFaceSource(12, seed: 4);
        var options = new BatchOptions(FlipPairShare: 0.5, Seed: 8, Capacity: 2);
        BatchRequest Schedule(long step) => step < 2 ? new BatchRequest(4, 8, 0.5) : new BatchRequest(2, 16, 1);
        var asm = new BatchAssembler(src, options);
        using var pre = new BatchPrefetcher(src, Schedule, options);
        for (int step = 0; step < 4; step++)
        {
            using var expected = asm.Next(Schedule(step));
            using var got = pre.Next();
            Assert.Equal(step, got.Step);
            Assert.Equal(expected.Images.shape, got.Images.shape);
            Assert.True(expected.Images.equal(got.Images).all().item<bool>());
            Assert.True(expected.FlipPairs!.equal(got.FlipPairs!).all().item<bool>());
        }
    }

    [Fact]
    public void Synthetic_source_renders_each_face_from_its_own_factors()
    {
        var src = new SyntheticFaceSource(3, seed: 11, keepInMemory: true);
        var a = src.Get(2, 16);
        Assert.Same(a, src.Get(2, 16));
        Assert.Equal(Automodulator.Data.Synthetic.SyntheticFaceRenderer.Render(src.Factors(2), 16).Pixels, a.Pixels);
        Assert.Throws<ArgumentOutOfRangeException>(() => src.Get(3, 16));
    }
}
