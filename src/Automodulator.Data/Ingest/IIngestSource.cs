using System.Text.Json.Nodes;
using Automodulator.Data.Cache;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Ingest;

/// <summary>One item of a source's enumeration, before any pixels are read.</summary>
/// <param name="Index">Position in the source's (deterministic) enumeration.</param>
/// <param name="Id">The source's own name for it (relative path, LMDB key, JSON key).</param>
/// <param name="Split">train / validation, when the source defines one.</param>
/// <param name="Payload">Whatever the source needs to read it (a path, landmarks, LMDB bytes …).</param>
public sealed record IngestItem(long Index, string Id, string? Split, object? Payload, long? FlipPair = null, JsonNode? Factors = null);

/// <summary>
/// A data set in its distributed form and the published recipe that turns it into square training images. The
/// ingest pipeline calls <see cref="Enumerate"/> once (in order), then <see cref="Read"/> and <see cref="Prepare"/>
/// from several worker threads; both throw <see cref="IngestRejectException"/> or <see cref="ImageDecodeException"/>
/// for an item that cannot be used, which the pipeline records as a reject.
/// </summary>
public interface IIngestSource : IDisposable
{
    /// <summary>Number of items the enumeration yields (known up front, so --shard k/n can split it).</summary>
    long Count { get; }

    /// <summary>What goes into the manifest: kind, location, recipe, deviations, options.</summary>
    CacheSource Describe(int resolution);

    /// <summary>Whether mirrored images are valid samples of this data set.</summary>
    bool CanMirror { get; }

    /// <summary>Items [start, end) in order.</summary>
    IEnumerable<IngestItem> Enumerate(long start, long end);

    /// <summary>Read and decode stage: the item's pixels as stored (upright, RGB).</summary>
    RgbImage Read(IngestItem item, int resolution);

    /// <summary>
    /// Align / crop stage: a square image whose side is a power of two ≥ <paramref name="resolution"/>; the pipeline
    /// box-averages it down to every cached level (so a 1024 recipe output becomes the 4…R pyramid as StyleGAN's
    /// exporter would make it).
    /// </summary>
    RgbImage Prepare(IngestItem item, RgbImage decoded, int resolution);

    /// <summary>
    /// <see cref="Prepare"/> plus what the align stage learned about the item (e.g. the detected face box), which the
    /// pipeline stores in the item's line of items.jsonl. Sources without such metadata keep this default.
    /// </summary>
    PreparedImage PrepareItem(IngestItem item, RgbImage decoded, int resolution) => new(Prepare(item, decoded, resolution));
}

/// <summary>An align-stage result: the square image and optional per-item metadata (items.jsonl's <c>detection</c>).</summary>
public sealed record PreparedImage(RgbImage Image, JsonNode? Detection = null);

/// <summary>An item the recipe cannot use (missing file, bad landmarks, too small …); the message is the reason.</summary>
public sealed class IngestRejectException(string reason) : Exception(reason);
