using System.CommandLine;
using Automodulator.Cli.Commands;

var root = new RootCommand("automod: train, inspect and use deep automodulators (Heljakka et al., NeurIPS 2020).")
{
    ModelCommands.Create(),
    SampleCommand.Create(),
    DemoCommand.Create(),
    AlignCommand.Create(),
    BenchCommand.Create(),
    IngestCommand.Create(),
    CacheCommand.Create(),
};
return CliErrors.Run(() => root.Parse(args).Invoke());
