using System.CommandLine;

namespace Automodulator.Cli.Commands;

/// <summary>`automod bench`: the parent of the benchmark subcommands.</summary>
public static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks (training speed, …).")
    {
        BenchTrainCommand.Create(),
    };
}
