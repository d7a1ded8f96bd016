using System.Text.Json;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;
using Automodulator.Data.Synthetic;

namespace Automodulator.Data.Ingest.Sources;

/// <summary>
/// Procedurally rendered faces (<see cref="SyntheticFaceRenderer"/>), each with its factors in the manifest. With
/// flip pairs, items 2k and 2k+1 are a face and its mirror (the factors with yaw, roll and x mirrored) and share
/// flip-pair id k. Rendered directly at the target size (anti-aliased), then box-averaged down like any other source.
/// </summary>
public sealed class SyntheticIngestSource(long count, ulong seed, bool flipPairs = false) : IIngestSource
{
    public long Count { get; } = count > 0 ? count : throw new ArgumentOutOfRangeException(nameof(count), "Give at least one synthetic face (--count).");
    public bool CanMirror => true;

    public CacheSource Describe(int resolution) => new("synthetic", $"seed {seed}", "Automodulator.Data.Synthetic.SyntheticFaceRenderer (rendered at the target size)", [],
        new SortedDictionary<string, string> { ["seed"] = seed.ToString(), ["flipPairs"] = flipPairs ? "true" : "false" });

    public FaceFactors FactorsOf(long index)
    {
        long face = flipPairs ? index / 2 : index;
        var f = FaceFactors.Sample(SeededRandom.Derive(seed, (ulong)face));
        return flipPairs && index % 2 == 1 ? f.Mirror() : f;
    }

    public IEnumerable<IngestItem> Enumerate(long start, long end)
    {
        for (long i = start; i < end; i++)
        {
            var factors = FactorsOf(i);
            yield return new IngestItem(i, $"face-{i:D8}", null, factors, flipPairs ? i / 2 : null,
                JsonSerializer.SerializeToNode(factors, CacheManifest.JsonLine));
        }
    }

    public RgbImage Read(IngestItem item, int resolution) => SyntheticFaceRenderer.Render((FaceFactors)item.Payload!, resolution);

    public RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution) => decoded;

    public void Dispose() { }
}
