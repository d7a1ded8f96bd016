using Automodulator.Core.Checkpoints;
using Automodulator.Core.Runtime;

namespace Automodulator.Cli.Commands;

/// <summary>Turns the errors a user can fix into one clear line and exit code 2, instead of a stack trace.</summary>
public static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is CheckpointException or DeviceUnavailableException or ArgumentException or FormatException or KeyNotFoundException
                                      or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
