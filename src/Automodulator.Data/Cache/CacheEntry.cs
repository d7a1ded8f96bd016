using System.Text.Json.Nodes;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Cache;

/// <summary>An image ready for the cache: its pyramid (one level per manifest resolution) and its metadata.</summary>
/// <param name="Levels">Images keyed by side length; must hold every resolution of the cache.</param>
/// <param name="Detection">What face detection found (<c>--detect</c>): box, landmark count, aligned eye centres.</param>
public sealed record CacheEntry(long SourceIndex, string Id, string? Split, IReadOnlyDictionary<int, RgbImage> Levels,
    long? FlipPair = null, JsonNode? Factors = null, JsonNode? Detection = null);
