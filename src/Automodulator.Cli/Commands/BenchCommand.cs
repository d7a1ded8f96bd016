using System.CommandLine;

namespace Automodulator.Cli.Commands;

/// <summary>
/// `automod bench …`: the parent of the measured benchmarks. Each area adds its subcommand's factory to
/// <see cref="Subcommands"/> (faces here; ingest and train join from their own files).
/// </summary>
public static class BenchCommand
{
    public static readonly List<Func<Command>> Subcommands =
    [
        BenchFacesCommand.Create,
        BenchIngestCommand.Create,
        BenchTrainCommand.Create,
    ];

    public static Command Create()
    {
        var cmd = new Command("bench", "Measure the speed of a part of the pipeline on this machine.");
        foreach (var create in Subcommands) cmd.Subcommands.Add(create());
        return cmd;
    }
}
