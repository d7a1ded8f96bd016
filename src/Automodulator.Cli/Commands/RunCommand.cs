using System.CommandLine;
using Automodulator.Hosting.Pipelines;

namespace Automodulator.Cli.Commands;

/// <summary>`automod run FILE`: runs a pipeline file (ingest → train → edit → evaluate), resumable step by step.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("pipeline") { Description = "A pipeline file (JSON), e.g. pipelines/demo.json." };
        var set = new Option<string[]>("--set") { Description = "Override a pipeline variable: NAME=VALUE (repeatable).", DefaultValueFactory = _ => [] };
        var run = new Option<string?>("--run") { Description = "Run folder (default: the file's \"run\", else runs/NAME)." };
        var plugins = PluginsCommand.PluginDirs();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var cmd = new Command("run", "Run a pipeline file. Rerunning skips finished steps, resumes an interrupted one, and stops at a failing one.")
        {
            file, set, run, plugins, device, threads,
        };
        cmd.SetAction(r =>
        {
            var dev = CommonOptions.ResolveDevice(r.GetValue(device)!, r.GetValue(threads));
            var overrides = EditCommand.ParseOptions(r.GetValue(set)!);
            var pipeline = PipelineDefinition.Load(r.GetValue(file)!, overrides, r.GetValue(run));
            var registry = PluginsCommand.LoadRegistry(r.GetValue(plugins)!).Registry;
            Console.WriteLine($"pipeline {pipeline.Name}: {pipeline.Steps.Count} steps, run folder {pipeline.RunFolder}, device {dev}");
            var outcome = new PipelineRunner(registry, dev, Console.Out).Run(pipeline);
            return outcome switch { PipelineOutcome.Finished => 0, PipelineOutcome.Interrupted => 3, _ => 1 };
        });
        return cmd;
    }
}
