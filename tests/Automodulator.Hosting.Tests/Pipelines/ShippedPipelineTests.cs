using Automodulator.Core.Model;
using Automodulator.Core.Registry;
using Automodulator.Core.Training;
using Automodulator.Hosting.Pipelines;
using Automodulator.Hosting.Plugins;
using Automodulator.Hosting.Tests.Plugins;

namespace Automodulator.Hosting.Tests.Pipelines;

/// <summary>Every file in pipelines/ must load and name presets, schedules and edits that exist.</summary>
public class ShippedPipelineTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(PluginFolders.RepoRoot(), "pipelines"), "*.json").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Shipped_pipeline_is_consistent(string file)
    {
        var path = Path.Combine(PluginFolders.RepoRoot(), "pipelines", file);
        var p = PipelineDefinition.Load(path, runFolder: Path.Combine(Path.GetTempPath(), "never-created"));
        Assert.NotEmpty(p.Steps);
        var registry = new PluginHost(ComponentRegistry.WithBuiltIns()).LoadAll([PluginFolders.Samples]).Registry;
        foreach (var step in p.Steps)
        {
            if (step.Kind == "train")
            {
                var preset = step.Options["preset"]?.GetValue<string>();
                var schedule = step.Options["schedule"]?.GetValue<string>();
                if (preset is null || schedule is null) continue;
                var model = ModelPresets.Get(preset);
                Assert.Equal(model.MaxResolution, SchedulePresets.Get(schedule).MaxResolution);
            }
            if (step.Kind == "edit")
                foreach (var edit in step.Options["edits"]!.AsArray())
                    Assert.True(registry.Contains(ComponentKind.Edit, edit!["operation"]!.GetValue<string>()), $"{file}: unknown edit {edit["operation"]}");
        }
    }
}
