using Automodulator.Data.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;

namespace Automodulator.Hosting.Ingest;

/// <summary>Builds the generic host around an ingest run: console lifetime (Ctrl+C), logging, the pipeline service.</summary>
public static class IngestHost
{
    public static async Task<IngestSummary> RunAsync(IIngestSource source, IngestOptions options, IProgress<IngestProgress>? progress = null,
        LogLevel logLevel = LogLevel.Information, TimeSpan? shutdownTimeout = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton<IHostLifetime, ConsoleLifetime>();
        // Long enough for the shard in progress to finish after Ctrl+C; past it the shard is dropped.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromMinutes(10));
        builder.Services.AddSingleton(sp => new IngestPipeline(source, options, sp.GetRequiredService<ILoggerFactory>().CreateLogger<IngestPipeline>(), progress));
        builder.Services.AddSingleton<IngestHostedService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestHostedService>());
        var host = builder.Build();
        var service = host.Services.GetRequiredService<IngestHostedService>();
        await host.RunAsync(); // disposes the host
        if (service.Failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(service.Failure).Throw();
        return service.Summary ?? throw new InvalidOperationException("The ingest service ended without a result.");
    }
}
