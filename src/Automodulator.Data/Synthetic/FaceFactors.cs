namespace Automodulator.Data.Synthetic;

/// <summary>
/// Coarse factors: what the 4×4–8×8 decoder layers should own (paper Sec. 4: coarse = pose, face shape, background).
/// Positions are fractions of the image side; angles are radians.
/// </summary>
/// <param name="CenterX">Head centre, x, as a fraction of the width.</param>
/// <param name="CenterY">Head centre, y, as a fraction of the height.</param>
/// <param name="HeadSize">Half the head height as a fraction of the image side.</param>
/// <param name="Yaw">Rotation about the vertical axis; positive turns the face towards image right.</param>
/// <param name="Roll">In-plane tilt of the head, positive clockwise on screen.</param>
/// <param name="FaceWidth">Head half-width over half-height.</param>
/// <param name="ChinWidth">How wide the jaw stays towards the chin (0 = pointed, 1 = round).</param>
/// <param name="BackgroundTop">Background colour at the top of the vertical gradient.</param>
/// <param name="BackgroundBottom">Background colour at the bottom.</param>
/// <param name="Clothing">Colour of the shoulders.</param>
public sealed record CoarseFactors(
    float CenterX, float CenterY, float HeadSize, float Yaw, float Roll, float FaceWidth, float ChinWidth,
    FaceColor BackgroundTop, FaceColor BackgroundBottom, FaceColor Clothing);

/// <summary>Intermediate factors (16×16–32×32 layers): facial features and hair shape.</summary>
/// <param name="EyeSize">Eye size multiplier.</param>
/// <param name="EyeSpacing">Eye spacing multiplier.</param>
/// <param name="EyeOpenness">0 = closed, 1 = wide open.</param>
/// <param name="BrowHeight">Brow height above the eyes, multiplier.</param>
/// <param name="MouthWidth">Mouth width multiplier.</param>
/// <param name="Smile">Corner lift: negative frowns, positive smiles.</param>
/// <param name="MouthOpen">0 = closed lips, 1 = wide open showing teeth.</param>
/// <param name="NoseLength">Nose length multiplier.</param>
/// <param name="HairLength">0 = cropped, 1 = long hair past the chin.</param>
/// <param name="HairVolume">How far hair stands off the head.</param>
/// <param name="Fringe">0 = high hairline, 1 = low fringe over the forehead.</param>
public sealed record IntermediateFactors(
    float EyeSize, float EyeSpacing, float EyeOpenness, float BrowHeight, float MouthWidth, float Smile,
    float MouthOpen, float NoseLength, float HairLength, float HairVolume, float Fringe);

/// <summary>Fine factors (64×64 and up): colours and texture.</summary>
/// <param name="Skin">Skin colour.</param>
/// <param name="Hair">Hair and brow colour.</param>
/// <param name="Iris">Iris colour.</param>
/// <param name="Lips">Lip colour.</param>
/// <param name="TextureSeed">Places freckles and hair strands.</param>
/// <param name="Freckles">Amount of freckles, 0..1.</param>
/// <param name="Strands">Contrast of hair strands, 0..1.</param>
public sealed record FineFactors(
    FaceColor Skin, FaceColor Hair, FaceColor Iris, FaceColor Lips, uint TextureSeed, float Freckles, float Strands);

/// <summary>
/// Everything that determines a synthetic face, grouped by the scale a decoder should own it at. Any combination
/// renders (<see cref="SyntheticFaceRenderer"/>), so style mixing ("A's coarse with B's fine") has a ground truth.
/// The face itself is mirror-symmetric in its own frame, so a horizontal flip of the image is exactly the factors
/// with the yaw, roll and horizontal position mirrored (<see cref="Mirror"/>).
/// </summary>
public sealed record FaceFactors(CoarseFactors Coarse, IntermediateFactors Intermediate, FineFactors Fine)
{
    /// <summary>The factors of the face named by <paramref name="seed"/>.</summary>
    public static FaceFactors Sample(ulong seed)
    {
        var r = new SeededRandom(seed);
        // Backgrounds: low-saturation colours of any hue, darker at the bottom (a studio-like gradient).
        double bgHue = r.NextDouble();
        var bgTop = FaceColor.FromHsv(bgHue, r.Uniform(0.05, 0.5), r.Uniform(0.45, 0.95));
        var bgBottom = FaceColor.FromHsv(bgHue + r.Uniform(-0.08, 0.08), r.Uniform(0.05, 0.5), r.Uniform(0.25, 0.8));
        var coarse = new CoarseFactors(
            CenterX: r.Uniform(0.44, 0.56),
            CenterY: r.Uniform(0.44, 0.5),
            HeadSize: r.Uniform(0.3, 0.36),
            Yaw: r.Uniform(-0.55, 0.55),
            Roll: r.Uniform(-0.15, 0.15),
            FaceWidth: r.Uniform(0.7, 0.86),
            ChinWidth: r.Uniform(0.2, 0.9),
            BackgroundTop: bgTop,
            BackgroundBottom: bgBottom,
            Clothing: FaceColor.FromHsv(r.NextDouble(), r.Uniform(0.2, 0.8), r.Uniform(0.2, 0.8)));
        var intermediate = new IntermediateFactors(
            EyeSize: r.Uniform(0.8, 1.25),
            EyeSpacing: r.Uniform(0.88, 1.12),
            EyeOpenness: r.Uniform(0.35, 1.0),
            BrowHeight: r.Uniform(0.8, 1.25),
            MouthWidth: r.Uniform(0.8, 1.25),
            Smile: r.Uniform(-0.4, 1.0),
            MouthOpen: r.NextDouble() < 0.6 ? 0f : r.Uniform(0.1, 1.0),
            NoseLength: r.Uniform(0.8, 1.2),
            HairLength: r.Uniform(0, 1),
            HairVolume: r.Uniform(0, 1),
            Fringe: r.Uniform(0, 1));
        // Skin: warm hues from pale to dark brown; hair: black, browns, blond, red, grey.
        float skinV = r.Uniform(0.3, 0.98);
        var skin = FaceColor.FromHsv(r.Uniform(0.04, 0.09), r.Uniform(0.25, 0.55), skinV);
        var hair = (r.NextDouble() * 5) switch
        {
            < 1.5 => FaceColor.FromHsv(r.Uniform(0.05, 0.1), r.Uniform(0.2, 0.6), r.Uniform(0.05, 0.25)),
            < 3.0 => FaceColor.FromHsv(r.Uniform(0.05, 0.1), r.Uniform(0.4, 0.8), r.Uniform(0.25, 0.55)),
            < 4.0 => FaceColor.FromHsv(r.Uniform(0.1, 0.14), r.Uniform(0.35, 0.7), r.Uniform(0.7, 0.95)),
            < 4.5 => FaceColor.FromHsv(r.Uniform(0.01, 0.05), r.Uniform(0.6, 0.9), r.Uniform(0.45, 0.8)),
            _ => FaceColor.FromHsv(0, 0, r.Uniform(0.55, 0.85)),
        };
        var iris = FaceColor.FromHsv(r.NextDouble() < 0.6 ? r.Uniform(0.05, 0.1) : r.Uniform(0.3, 0.62), r.Uniform(0.4, 0.9), r.Uniform(0.25, 0.75));
        var lips = skin.Mix(FaceColor.FromHsv(r.Uniform(0.95, 1.02), r.Uniform(0.5, 0.8), r.Uniform(0.5, 0.85)), r.Uniform(0.35, 0.7));
        var fine = new FineFactors(skin, hair, iris, lips, (uint)r.NextUInt64(), r.Uniform(0, 1), r.Uniform(0, 1));
        return new FaceFactors(coarse, intermediate, fine);
    }

    /// <summary>The face whose factors at each scale come from the given faces: the ground truth of a style mix.</summary>
    public static FaceFactors Mix(FaceFactors coarseFrom, FaceFactors intermediateFrom, FaceFactors fineFrom) =>
        new(coarseFrom.Coarse, intermediateFrom.Intermediate, fineFrom.Fine);

    /// <summary>The factors whose rendering is this face's rendering mirrored left to right.</summary>
    public FaceFactors Mirror() => this with
    {
        Coarse = Coarse with { CenterX = 1f - Coarse.CenterX, Yaw = -Coarse.Yaw, Roll = -Coarse.Roll },
    };
}
