using Microsoft.Extensions.Hosting;

namespace Automodulator.Hosting.Pipelines;

/// <summary>
/// Runs one pipeline step as the host's work, on a dedicated thread (the step's tensor math and dispose scopes stay
/// on that one thread; no await inside). The host's stop (Ctrl+C, SIGTERM) is the step's stop token: the step saves
/// its work and reports Interrupted. When the step ends, the host stops.
/// </summary>
public sealed class StepHostedService(IPipelineStep step, StepContext context, IHostApplicationLifetime lifetime) : BackgroundService
{
    public StepOutcome? Outcome { get; private set; }
    public Exception? Failure { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() =>
        {
            try
            {
                Outcome = step.Run(context, stoppingToken);
            }
            catch (Exception e)
            {
                Failure = e;
            }
            finally
            {
                lifetime.StopApplication();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
