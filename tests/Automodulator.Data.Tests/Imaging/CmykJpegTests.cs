using Automodulator.Data.Imaging;

namespace Automodulator.Data.Tests.Imaging;

/// <summary>
/// tests/fixtures/cmyk (made by tests/tools/cmyk_jpeg/make_fixtures.py): an RGB original and two CMYK JPEGs of it,
/// one with K = 0 (PIL's convert('CMYK')) and one with the grey component in K. Both are device CMYK without an ICC
/// profile, so the decoder must give back the original's colours up to JPEG loss.
/// </summary>
public class CmykJpegTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "cmyk", name);

    /// <summary>Components in the JPEG's start-of-frame segment (3 = YCbCr, 4 = CMYK / YCCK).</summary>
    private static int FrameComponents(byte[] jpeg)
    {
        for (int i = 2; i + 9 < jpeg.Length;)
        {
            if (jpeg[i] != 0xFF) throw new InvalidDataException("not a JPEG marker");
            byte marker = jpeg[i + 1];
            int length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (marker is 0xC0 or 0xC1 or 0xC2) return jpeg[i + 9];
            i += 2 + length;
        }
        throw new InvalidDataException("no start-of-frame segment");
    }

    [Theory]
    [InlineData("cmyk_pil.jpg")]
    [InlineData("cmyk_k.jpg")]
    public void Cmyk_jpeg_decodes_to_the_rgb_original_within_jpeg_tolerance(string name)
    {
        var bytes = File.ReadAllBytes(Fixture(name));
        Assert.Equal(4, FrameComponents(bytes));
        var reference = ImageDecoder.Decode(Fixture("reference.png"));
        var decoded = ImageDecoder.Decode(bytes, name);
        Assert.Equal((48, 32), (decoded.Width, decoded.Height));

        double sum = 0;
        for (int i = 0; i < decoded.Pixels.Length; i++) sum += Math.Abs(decoded.Pixels[i] - reference.Pixels[i]);
        Assert.True(sum / decoded.Pixels.Length < 3, $"mean |RGB − original| = {sum / decoded.Pixels.Length:F2}");

        // The flat patches (whole 8×8 blocks) keep their colour: red stays red, not cyan, and grey stays neutral.
        for (int py = 0; py < 3; py++)
            for (int px = 0; px < 2; px++)
            {
                int x = 32 + 8 * px + 4, y = 8 * py + 4;
                for (int c = 0; c < 3; c++)
                {
                    int o = (y * 48 + x) * 3 + c;
                    Assert.True(Math.Abs(decoded.Pixels[o] - reference.Pixels[o]) <= 6,
                        $"patch ({px},{py}) channel {c}: {decoded.Pixels[o]} vs {reference.Pixels[o]}");
                }
            }
    }
}
