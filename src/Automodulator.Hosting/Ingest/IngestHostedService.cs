using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Automodulator.Hosting.Ingest;

/// <summary>
/// Runs one <see cref="IngestPipeline"/> as the host's work. The host's stop (Ctrl+C / SIGTERM through the console
/// lifetime) is the pipeline's graceful stop: the shard in progress is finished and committed. If the host's
/// shutdown timeout runs out first, the pipeline is aborted and that shard is dropped (the cache stays valid).
/// </summary>
public sealed class IngestHostedService(IngestPipeline pipeline, IHostApplicationLifetime lifetime, ILogger<IngestHostedService> log) : BackgroundService
{
    private readonly CancellationTokenSource _abort = new();

    public IngestSummary? Summary { get; private set; }
    public Exception? Failure { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            Summary = await pipeline.RunAsync(stoppingToken, _abort.Token);
        }
        catch (Exception e)
        {
            Failure = e;
            if (e is not OperationCanceledException) log.LogError("Ingest failed: {Message}", e.Message);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var reg = cancellationToken.Register(_abort.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }
}
