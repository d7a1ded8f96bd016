using System.CommandLine;
using Automodulator.Cli.Commands;

var root = new RootCommand("automod: train, inspect and use deep automodulators (Heljakka et al., NeurIPS 2020).")
{
    ModelCommands.Create(),
    SampleCommand.Create(),
    PluginsCommand.Create(),
    EditCommand.Create(),
    RunCommand.Create(),
    EvaluateCommand.Create(),
    AlignCommand.Create(),
    BenchCommand.Create(),
    IngestCommand.Create(),
    CacheCommand.Create(),
    TrainCommand.Create(),
};
// Errors a user can fix are reported by CliErrors as one line (exit 2); anything else keeps its stack trace.
return CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
