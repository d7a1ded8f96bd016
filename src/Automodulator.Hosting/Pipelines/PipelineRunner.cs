using System.Diagnostics;
using System.Text.Json;
using Automodulator.Core.Registry;
using Automodulator.Data.Imaging;
using Automodulator.Hosting.Pipelines.Steps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Pipelines;

/// <summary>How a whole run ended.</summary>
public enum PipelineOutcome
{
    Finished,
    Interrupted,
    Failed,
}

/// <summary>
/// Runs a pipeline step by step in its run folder: resolved definition (pipeline.json), state (state.json), a log per
/// step (logs/NAME.log), each step's outputs in RUN/NAME/, and a self-contained report.html refreshed after every
/// step. Each step runs as a hosted service in its own generic host. A finished step with unchanged options is
/// skipped; an interrupted one resumes; a failing one stops the run with its error and leaves finished work intact.
/// </summary>
public sealed class PipelineRunner(ComponentRegistry registry, Device device, TextWriter console, bool consoleLifetime = true)
{
    private static readonly Dictionary<string, IPipelineStep> Steps = new IPipelineStep[]
    {
        new IngestStep(), new TrainStep(), new EditStep(), new EvaluateStep(),
    }.ToDictionary(s => s.Kind);

    /// <summary>Stops the step in progress (as Ctrl+C does); used by tests and embedding hosts.</summary>
    public CancellationToken ExternalStop { get; init; }

    public PipelineOutcome Run(PipelineDefinition pipeline)
    {
        Directory.CreateDirectory(pipeline.RunFolder);
        AtomicFile.WriteAllText(Path.Combine(pipeline.RunFolder, "pipeline.json"),
            pipeline.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var state = PipelineState.LoadOrCreate(pipeline);
        bool rerunRest = false;
        foreach (var step in pipeline.Steps)
        {
            var record = state[step.Name];
            var hash = step.OptionsHash;
            if (record.Status == StepStatus.Done && record.OptionsHash == hash && !rerunRest)
            {
                console.WriteLine($"[{step.Name}] done earlier, skipped");
                continue;
            }
            if (record.Status == StepStatus.Done)
            {
                console.WriteLine($"[{step.Name}] options changed: running it again");
                rerunRest = true; // later steps depend on this one
            }
            if (record.OptionsHash is not null && record.OptionsHash != hash && record.Status == StepStatus.Interrupted)
                console.WriteLine($"[{step.Name}] options changed since it was interrupted; it resumes with its saved state where the step supports it");

            record.Status = StepStatus.Running;
            record.OptionsHash = hash;
            record.Started = DateTimeOffset.Now;
            record.Error = null;
            record.Attempts++;
            state.Save(pipeline.RunFolder);
            console.WriteLine($"[{step.Name}] {step.Kind} …");

            var sw = Stopwatch.StartNew();
            var (outcome, failure) = RunStep(pipeline, step, record);
            record.Seconds += sw.Elapsed.TotalSeconds;
            record.Finished = DateTimeOffset.Now;
            if (failure is not null)
            {
                record.Status = StepStatus.Failed;
                record.Error = failure is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException
                    ? failure.Message : failure.ToString();
                state.Save(pipeline.RunFolder);
                RunReport.Write(pipeline, state);
                console.WriteLine($"[{step.Name}] FAILED: {failure.Message}");
                console.WriteLine($"The run stopped; finished steps are kept. Fix the cause and run the same command again to continue from '{step.Name}'.");
                return PipelineOutcome.Failed;
            }
            record.Status = outcome == StepOutcome.Done ? StepStatus.Done : StepStatus.Interrupted;
            state.Save(pipeline.RunFolder);
            RunReport.Write(pipeline, state);
            console.WriteLine($"[{step.Name}] {record.Status.ToString().ToLowerInvariant()} in {sw.Elapsed.TotalSeconds:F1} s");
            if (outcome == StepOutcome.Interrupted)
            {
                console.WriteLine($"Interrupted; run the same command again to resume '{step.Name}'.");
                return PipelineOutcome.Interrupted;
            }
        }
        RunReport.Write(pipeline, state);
        console.WriteLine($"Pipeline '{pipeline.Name}' finished; report: {Path.Combine(pipeline.RunFolder, "report.html")}");
        return PipelineOutcome.Finished;
    }

    private (StepOutcome Outcome, Exception? Failure) RunStep(PipelineDefinition pipeline, PipelineStepDefinition step, StepRecord record)
    {
        if (!Steps.TryGetValue(step.Kind, out var impl)) return (StepOutcome.Interrupted, new FormatException($"Unknown step kind '{step.Kind}'."));
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var logFile = new FileLoggerProvider(Path.Combine(pipeline.RunFolder, "logs", $"{step.Name}.log"));
        builder.Logging.AddProvider(logFile);
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        if (consoleLifetime) builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();
        // A training step needs time to write its checkpoint after a stop request.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10));
        builder.Services.AddSingleton(sp => new StepContext
        {
            Pipeline = pipeline, Step = step, Record = record, Device = device, Registry = registry,
            Log = sp.GetRequiredService<ILoggerFactory>().CreateLogger($"step.{step.Name}"),
        });
        builder.Services.AddSingleton(sp => new StepHostedService(impl, sp.GetRequiredService<StepContext>(), sp.GetRequiredService<IHostApplicationLifetime>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StepHostedService>());
        using var host = builder.Build();
        var service = host.Services.GetRequiredService<StepHostedService>();
        using var external = ExternalStop.Register(() => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication());
        host.Run();
        logFile.Dispose();
        if (service.Failure is not null) return (StepOutcome.Interrupted, service.Failure);
        return (service.Outcome ?? StepOutcome.Interrupted, null);
    }
}
