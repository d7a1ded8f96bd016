using Automodulator.Data.Faces;
using Automodulator.Data.Imaging;
using Automodulator.Data.Ingest.Sources;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Editing;

/// <summary>
/// Turns the photos given to an edit into model inputs: FFHQ-aligned face crops (<c>--align faces</c>, the face stack)
/// or centre crops (<c>--align crop</c>), resized to the model's resolution. A photo that cannot be used is recorded
/// with its reason and left out; the edit goes on with the rest.
/// </summary>
public sealed class EditPhotoLoader(string align, int resolution, string? landmarkModel)
{
    private PhotoAligner? _aligner;

    public List<string> Used { get; } = [];
    public List<(string Path, string Reason)> Rejected { get; } = [];

    public Tensor Load(IReadOnlyList<string> paths)
    {
        if (align is not ("faces" or "crop")) throw new ArgumentException($"--align must be faces or crop (got '{align}').");
        var images = new List<RgbImage>();
        foreach (var path in paths)
        {
            try
            {
                var photo = ImageDecoder.Decode(path);
                RgbImage input;
                if (align == "faces")
                {
                    _aligner ??= PhotoAligner.Create(landmarkModel, size: Math.Max(resolution, 64));
                    var result = _aligner.Align(photo, allFaces: false, minFace: 24);
                    if (!result.Succeeded) { Rejected.Add((path, result.RejectReason!)); continue; }
                    input = Resampler.Resize(result.Faces[0].Aligned.Image, resolution, resolution);
                }
                else
                {
                    int side = Math.Min(photo.Width, photo.Height);
                    // Unlike ingest, a photo smaller than the model is upscaled rather than rejected.
                    input = Resampler.Resize(SquareCrop.Crop(photo, (photo.Width - side) / 2, (photo.Height - side) / 2, side, side), resolution, resolution);
                }
                images.Add(input);
                Used.Add(path);
            }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
            {
                Rejected.Add((path, e.Message));
            }
        }
        if (images.Count == 0)
            throw new ArgumentException("None of the input photos could be used: " +
                                        string.Join("; ", Rejected.Select(r => $"{Path.GetFileName(r.Path)}: {r.Reason}")));
        return TensorImages.ToTensor(images);
    }
}
