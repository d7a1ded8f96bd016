using System.Globalization;
using System.Text;
using System.Text.Json;
using Automodulator.Core.Checkpoints;

namespace Automodulator.Core.Training;

/// <summary>
/// The layout of a run folder: options.json (the resolved options), log.jsonl (one line of loss values per
/// iteration), checkpoints/checkpoint-NNNNNNNNNNNN.amod (the last K, named by sample count), grids/ (PNG grids),
/// model.amod (the EMA model, written at the end).
/// </summary>
public sealed class RunFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string OptionsFile => System.IO.Path.Combine(Path, "options.json");
    public string LogFile => System.IO.Path.Combine(Path, "log.jsonl");
    public string CheckpointFolder => System.IO.Path.Combine(Path, "checkpoints");
    public string GridFolder => System.IO.Path.Combine(Path, "grids");
    public string ModelFile => System.IO.Path.Combine(Path, "model.amod");

    public string CheckpointPath(long sampleCount) =>
        System.IO.Path.Combine(CheckpointFolder, $"checkpoint-{sampleCount.ToString("D12", CultureInfo.InvariantCulture)}.amod");

    /// <summary>Checkpoint files, newest (most samples) first. Temporary files of interrupted writes are not listed.</summary>
    public IReadOnlyList<string> Checkpoints() =>
        Directory.Exists(CheckpointFolder)
            ? Directory.GetFiles(CheckpointFolder, "checkpoint-*.amod").OrderByDescending(f => f, StringComparer.Ordinal).ToArray()
            : [];

    /// <summary>
    /// The newest checkpoint that reads back intact; damaged newer ones are reported through <paramref name="skipped"/>.
    /// Null when there is none.
    /// </summary>
    public string? LatestLoadableCheckpoint(Action<string>? skipped = null)
    {
        foreach (var file in Checkpoints())
        {
            try
            {
                var c = CheckpointFile.Read(file);
                foreach (var t in c.Tensors.Values) t.Dispose();
                if (c.Kind == TrainingCheckpoint.Kind) return file;
                skipped?.Invoke($"{file} is a '{c.Kind}' checkpoint, not a training one; skipped.");
            }
            catch (CheckpointException e)
            {
                skipped?.Invoke($"{e.Message} Trying an older checkpoint.");
            }
        }
        return null;
    }

    /// <summary>Removes the temporary files of checkpoint writes that a kill interrupted (they are never loaded).</summary>
    public void DeleteInterruptedWrites()
    {
        if (!Directory.Exists(CheckpointFolder)) return;
        foreach (var tmp in Directory.GetFiles(CheckpointFolder, "*.tmp"))
            try { File.Delete(tmp); } catch (IOException) { }
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints.</summary>
    public void Prune(int keep)
    {
        foreach (var old in Checkpoints().Skip(keep))
            try { File.Delete(old); } catch (IOException) { }
    }

    public void WriteOptions(TrainingOptions options)
    {
        Directory.CreateDirectory(Path);
        var tmp = OptionsFile + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(options, TrainingCheckpoint.Json), new UTF8Encoding(false));
        File.Move(tmp, OptionsFile, overwrite: true);
    }

    /// <summary>Drops log lines of iterations at or after <paramref name="iteration"/> (logged after the checkpoint a resume starts from).</summary>
    public void TruncateLog(long iteration)
    {
        if (!File.Exists(LogFile)) return;
        var kept = File.ReadLines(LogFile).Where(line =>
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.GetProperty("iteration").GetInt64() < iteration;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return false; // a line cut short by a kill
            }
        }).ToList();
        var tmp = LogFile + ".tmp";
        File.WriteAllLines(tmp, kept, new UTF8Encoding(false));
        File.Move(tmp, LogFile, overwrite: true);
    }
}
