using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automodulator.Data.Imaging;

namespace Automodulator.Hosting.Pipelines;

/// <summary>
/// The run's report.html: one self-contained page (images inlined as base64, charts as inline SVG) with every
/// step's status and time, training loss curves and sample grids per phase, edit grids, and the mixing score.
/// </summary>
public static class RunReport
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

    public static string Write(PipelineDefinition pipeline, PipelineState state)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").Append(E(pipeline.Name)).Append(" — automod run</title><style>")
            .Append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}h1,h2,h3{margin:.8em 0 .3em}")
            .Append("table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}")
            .Append(".done{color:#186a1b}.failed{color:#b00020}.interrupted,.running{color:#a06000}img{image-rendering:pixelated;max-width:100%;border:1px solid #ddd}")
            .Append("figure{display:inline-block;margin:6px 12px 12px 0;vertical-align:top}figcaption{font-size:12px;color:#555}pre{white-space:pre-wrap;color:#b00020}")
            .Append("</style></head><body>");
        html.Append("<h1>").Append(E(pipeline.Name)).Append("</h1><p>Run folder <code>").Append(E(pipeline.RunFolder)).Append("</code>, pipeline <code>")
            .Append(E(pipeline.SourcePath)).Append("</code>, report written ").Append(DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)).Append(".</p>");

        html.Append("<h2>Steps</h2><table><tr><th>step</th><th>kind</th><th>status</th><th>time</th><th>attempts</th><th>outputs</th></tr>");
        foreach (var r in state.Steps)
        {
            var outputs = string.Join(", ", r.Outputs.Where(kv => !kv.Value.Contains('/')).Select(kv => $"{kv.Key} = {kv.Value}"));
            html.Append("<tr><td>").Append(E(r.Name)).Append("</td><td>").Append(E(r.Kind)).Append("</td><td class=\"").Append(r.Status.ToString().ToLowerInvariant()).Append("\">")
                .Append(r.Status.ToString().ToLowerInvariant()).Append("</td><td>").Append(Duration(r.Seconds)).Append("</td><td>").Append(r.Attempts)
                .Append("</td><td>").Append(E(outputs)).Append("</td></tr>");
        }
        html.Append("</table>");
        foreach (var r in state.Steps.Where(r => r.Error is not null))
            html.Append("<h3>").Append(E(r.Name)).Append(" failed</h3><pre>").Append(E(r.Error!)).Append("</pre>");

        foreach (var step in pipeline.Steps)
        {
            var record = state[step.Name];
            var folder = pipeline.StepFolder(step.Name);
            if (!Directory.Exists(folder)) continue;
            switch (step.Kind)
            {
                case "train": Training(html, step.Name, folder); break;
                case "edit": Edits(html, step.Name, folder); break;
                case "evaluate": Evaluation(html, step.Name, folder); break;
                case "ingest": Ingest(html, step.Name, record); break;
            }
        }
        html.Append("</body></html>");
        var path = Path.Combine(pipeline.RunFolder, "report.html");
        AtomicFile.WriteAllText(path, html.ToString());
        return path;
    }

    private static void Ingest(StringBuilder html, string name, StepRecord r)
    {
        if (!r.Outputs.TryGetValue("items", out var items)) return;
        html.Append("<h2>").Append(E(name)).Append(": cache</h2><p>").Append(E(items)).Append(" items, ")
            .Append(E(r.Outputs.GetValueOrDefault("rejects", "0"))).Append(" rejected (see rejects.jsonl in the cache).</p>");
    }

    private static void Training(StringBuilder html, string name, string folder)
    {
        html.Append("<h2>").Append(E(name)).Append(": training</h2>");
        var log = Path.Combine(folder, "log.jsonl");
        if (File.Exists(log))
        {
            var rows = File.ReadLines(log).Select(l => { try { return JsonNode.Parse(l) as JsonObject; } catch (JsonException) { return null; } })
                .Where(o => o is not null).Select(o => o!).ToList();
            if (rows.Count > 1)
            {
                string[] groups = ["enc.", "dec.", "kl_"];
                foreach (var g in groups)
                {
                    var keys = rows[^1].Select(kv => kv.Key).Where(k => k.StartsWith(g, StringComparison.Ordinal)).ToList();
                    if (keys.Count > 0) html.Append(Chart(rows, keys, g switch { "enc." => "encoder step", "dec." => "decoder step", _ => "KL of real / sampled latents" }));
                }
                var last = rows[^1];
                html.Append("<p>").Append(rows.Count).Append(" logged iterations, ").Append(last["samples"]?.ToJsonString()).Append(" samples, last phase at ")
                    .Append(last["resolution"]?.ToJsonString()).Append("×").Append(last["resolution"]?.ToJsonString()).Append(".</p>");
            }
        }
        var grids = Path.Combine(folder, "grids");
        if (Directory.Exists(grids))
        {
            // The latest grid of each kind per resolution phase: how the model grew.
            var files = Directory.GetFiles(grids, "*.png").OrderBy(f => f, StringComparer.Ordinal).ToList();
            var kinds = files.Select(f => Path.GetFileNameWithoutExtension(f).Split('-')[0]).Distinct().ToList();
            foreach (var kind in kinds)
            {
                html.Append("<h3>").Append(E(kind)).Append("</h3>");
                var ofKind = files.Where(f => Path.GetFileName(f).StartsWith(kind + "-", StringComparison.Ordinal)).ToList();
                foreach (var f in ofKind.Skip(Math.Max(0, ofKind.Count - 4)))
                    html.Append(Figure(f, $"{kind} at {long.Parse(Path.GetFileNameWithoutExtension(f).Split('-')[^1], CultureInfo.InvariantCulture):N0} samples"));
            }
        }
    }

    private static void Edits(StringBuilder html, string name, string folder)
    {
        html.Append("<h2>").Append(E(name)).Append(": edits</h2>");
        foreach (var json in Directory.GetFiles(folder, "*.json").Where(f => !f.EndsWith(".direction.json", StringComparison.Ordinal)).OrderBy(f => f, StringComparer.Ordinal))
        {
            JsonNode? meta;
            try { meta = JsonNode.Parse(File.ReadAllText(json)); } catch (JsonException) { continue; }
            var png = Path.Combine(folder, meta?["grid"]?["png"]?.GetValue<string>() ?? "");
            if (!File.Exists(png)) continue;
            var options = meta?["options"] is JsonObject o ? string.Join(", ", o.Select(kv => $"{kv.Key}={kv.Value}")) : "";
            html.Append(Figure(png, $"{meta?["edit"]} {options}"));
        }
    }

    private static void Evaluation(StringBuilder html, string name, string folder)
    {
        var path = Path.Combine(folder, "evaluation.json");
        if (!File.Exists(path)) return;
        var e = JsonNode.Parse(File.ReadAllText(path))!;
        html.Append("<h2>").Append(E(name)).Append(": ground-truth mixing score</h2><p>")
            .Append(e["Pairs"]).Append(" synthetic face pairs at ").Append(e["Resolution"]).Append("×").Append(e["Resolution"])
            .Append(". Errors are mean absolute differences in 8-bit levels against the renderer's image of the mixed factors; ")
            .Append("“keep B” is B's reconstruction, “take A” is A's. Relative = mix error ÷ the better baseline (below 1: a real, scale-specific mix).</p>")
            .Append("<p>Reconstruction error: ").Append(F(e["ReconstructionError"])).Append("</p><table><tr><th>A's scale</th><th>layers</th><th>mix error</th><th>keep B</th><th>take A</th><th>relative</th></tr>");
        foreach (var s in e["Scales"]!.AsArray())
        {
            double mix = s!["MixError"]!.GetValue<double>(), keep = s["KeepBError"]!.GetValue<double>(), take = s["TakeAError"]!.GetValue<double>();
            html.Append("<tr><td>").Append(E(s["Scale"]!.ToJsonString().Trim('"'))).Append("</td><td>").Append(E(string.Join(",", s["Layers"]!.AsArray().Select(x => x!.ToJsonString()))))
                .Append("</td><td>").Append(F(mix)).Append("</td><td>").Append(F(keep)).Append("</td><td>").Append(F(take)).Append("</td><td>")
                .Append(F(mix / Math.Max(1e-9, Math.Min(keep, take)))).Append("</td></tr>");
        }
        html.Append("</table>");
    }

    /// <summary>An inline SVG line chart of the given keys over iterations (log scale when values span decades).</summary>
    private static string Chart(IReadOnlyList<JsonObject> rows, IReadOnlyList<string> keys, string title)
    {
        const int w = 560, h = 200, pad = 40;
        var series = keys.Select(k => rows.Select(r => (X: r["iteration"]?.GetValue<double>() ?? 0, Y: r[k]?.GetValue<double>() ?? double.NaN))
            .Where(p => double.IsFinite(p.Y)).ToList()).ToList();
        var all = series.SelectMany(s => s).ToList();
        if (all.Count < 2) return "";
        bool log = all.All(p => p.Y > 0) && all.Max(p => p.Y) / all.Min(p => p.Y) > 100;
        double Ty(double y) => log ? Math.Log10(y) : y;
        double x0 = all.Min(p => p.X), x1 = Math.Max(all.Max(p => p.X), x0 + 1), y0 = all.Min(p => Ty(p.Y)), y1 = Math.Max(all.Max(p => Ty(p.Y)), y0 + 1e-9);
        var svg = new StringBuilder($"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" style=\"background:#fafafa;border:1px solid #ddd\">");
        for (int i = 0; i < series.Count; i++)
        {
            // Thin long logs to at most ~600 points per line.
            int stride = Math.Max(1, series[i].Count / 600);
            var pts = series[i].Where((_, j) => j % stride == 0).Select(p =>
                string.Create(CultureInfo.InvariantCulture, $"{pad + (p.X - x0) / (x1 - x0) * (w - 2 * pad):F1},{h - pad / 2 - (Ty(p.Y) - y0) / (y1 - y0) * (h - pad):F1}"));
            svg.Append("<polyline fill=\"none\" stroke-width=\"1.2\" stroke=\"").Append(Palette[i % Palette.Length]).Append("\" points=\"").Append(string.Join(' ', pts)).Append("\"/>");
            svg.Append("<text x=\"").Append(pad + 4 + i * 110).Append("\" y=\"14\" font-size=\"11\" fill=\"").Append(Palette[i % Palette.Length]).Append("\">").Append(E(keys[i])).Append("</text>");
        }
        svg.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"{h - pad / 2}\" font-size=\"10\">{(log ? Math.Pow(10, y0) : y0):G3}</text><text x=\"2\" y=\"26\" font-size=\"10\">{(log ? Math.Pow(10, y1) : y1):G3}</text>"));
        svg.Append("</svg><figcaption>").Append(E(title)).Append(log ? " (log scale)" : "").Append(", by iteration</figcaption></figure>");
        return svg.ToString();
    }

    private static string Figure(string png, string caption) =>
        $"<figure><img src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(png))}\" alt=\"{E(caption)}\"><figcaption>{E(caption)}</figcaption></figure>";

    private static string F(JsonNode? n) => n is null ? "" : F(n.GetValue<double>());
    private static string F(double d) => d.ToString("F2", CultureInfo.InvariantCulture);
    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string Duration(double seconds) =>
        seconds < 90 ? $"{seconds:F1} s" : seconds < 5400 ? $"{seconds / 60:F1} min" : $"{seconds / 3600:F2} h";
}
