namespace Automodulator.Data.Faces;

/// <summary>
/// Finds dlib's 68-point landmark model: an explicit path (<c>--landmark-model</c>), then the environment variable
/// <see cref="EnvironmentVariable"/>, then the standard locations where Debian's <c>libdlib-data</c> and common
/// manual installs put it.
/// </summary>
public static class DlibModelLocator
{
    public const string EnvironmentVariable = "AUTOMOD_DLIB_MODEL";
    public const string FileName = "shape_predictor_68_face_landmarks.dat";
    public const string DownloadUrl = "http://dlib.net/files/shape_predictor_68_face_landmarks.dat.bz2";

    public static readonly string InstallHint =
        $"Install Debian's libdlib-data (apt-get install libdlib-data, which puts it in /usr/share/dlib/), or download " +
        $"{DownloadUrl}, unpack it with bunzip2 and pass --landmark-model PATH or set {EnvironmentVariable}.";

    public static IReadOnlyList<string> StandardLocations { get; } =
    [
        $"/usr/share/dlib/{FileName}",
        $"/usr/local/share/dlib/{FileName}",
    ];

    /// <summary>The model's path, or a <see cref="FileNotFoundException"/> saying where it looked and how to get it.</summary>
    public static string Locate(string? explicitPath = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            if (File.Exists(explicitPath)) return explicitPath;
            throw new FileNotFoundException($"Landmark model {explicitPath} (from --landmark-model) does not exist. {InstallHint}", explicitPath);
        }
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            if (File.Exists(fromEnv)) return fromEnv;
            throw new FileNotFoundException($"Landmark model {fromEnv} (from {EnvironmentVariable}) does not exist. {InstallHint}", fromEnv);
        }
        foreach (var candidate in StandardLocations)
            if (File.Exists(candidate)) return candidate;
        throw new FileNotFoundException(
            $"dlib's landmark model {FileName} was not found (looked in {string.Join(", ", StandardLocations)}). {InstallHint}", FileName);
    }

    /// <summary>True when <see cref="Locate"/> would succeed without an explicit path.</summary>
    public static bool TryLocate(out string path)
    {
        try
        {
            path = Locate();
            return true;
        }
        catch (FileNotFoundException)
        {
            path = "";
            return false;
        }
    }
}
