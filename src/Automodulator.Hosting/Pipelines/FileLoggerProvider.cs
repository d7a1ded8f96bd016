using Microsoft.Extensions.Logging;

namespace Automodulator.Hosting.Pipelines;

/// <summary>Appends log lines (time, level, message) to one file: each pipeline step keeps its own log in the run folder.</summary>
public sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly StreamWriter _writer = CreateWriter(path);
    private readonly object _gate = new();
    private bool _disposed;

    private static StreamWriter CreateWriter(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this);

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _writer.Dispose();
        }
    }

    private void Write(LogLevel level, string message)
    {
        // A late message (a progress callback after its step ended) is dropped, not an error.
        lock (_gate)
            if (!_disposed) _writer.WriteLine($"{DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss} {level,-11} {message}");
    }

    private sealed class FileLogger(FileLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner.Write(logLevel, formatter(state, exception) + (exception is null ? "" : Environment.NewLine + exception));
        }
    }
}
