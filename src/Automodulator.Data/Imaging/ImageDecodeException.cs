namespace Automodulator.Data.Imaging;

/// <summary>
/// A file could not be turned into pixels: empty, not an image, an unsupported format, or corrupt/truncated data.
/// <see cref="Exception.Message"/> names the source and the reason, so batch jobs can record it as a reject.
/// </summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(string source, string reason, Exception? inner = null)
        : base($"{source}: {reason}", inner)
    {
        Source = source;
        Reason = reason;
    }

    /// <summary>The file name (or label) of the data that failed.</summary>
    public new string Source { get; }

    /// <summary>Why it failed, without the source name.</summary>
    public string Reason { get; }
}
