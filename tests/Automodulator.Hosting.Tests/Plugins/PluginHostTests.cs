using Automodulator.Abstractions;
using Automodulator.Abstractions.Plugins;
using Automodulator.Core.Registry;
using Automodulator.Hosting.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Hosting.Tests.Plugins;

public sealed class PluginHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("automod-plugins-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PluginHost Load(params string[] roots) => new PluginHost(ComponentRegistry.WithBuiltIns()).LoadAll(roots);

    [Fact]
    public void Sample_plugins_are_discovered_and_registered_beside_the_built_ins()
    {
        var host = Load(PluginFolders.Samples);
        Assert.All(host.Results, r => Assert.True(r.Loaded, $"{r.Name}: {r.Error}"));
        Assert.Equal(["FineColourTransfer", "ModulatedResidual", "TotalVariationLoss"], host.Results.Select(r => r.Name).Order());
        var names = host.Registry.Components.Select(c => (c.Kind, c.Name, c.Origin)).ToList();
        Assert.Contains((ComponentKind.Block, "modulated-residual", "ModulatedResidual"), names);
        Assert.Contains((ComponentKind.Loss, "total_variation", "TotalVariationLoss"), names);
        Assert.Contains((ComponentKind.Edit, "colour-transfer", "FineColourTransfer"), names);
        Assert.Contains((ComponentKind.Edit, "mix", ComponentRegistry.BuiltIn), names);
        Assert.Contains((ComponentKind.Block, "modulated-conv", ComponentRegistry.BuiltIn), names);
    }

    [Fact]
    public void Broken_plugins_are_reported_by_name_and_reason_while_the_rest_load()
    {
        var garbage = Directory.CreateDirectory(Path.Combine(_dir, "Garbage")).FullName;
        File.WriteAllBytes(Path.Combine(garbage, "Garbage.dll"), [0x4d, 0x5a, 1, 2, 3, 4]);
        Directory.CreateDirectory(Path.Combine(_dir, "Empty"));

        var host = Load(PluginFolders.Samples, PluginFolders.Misbehaving, _dir);
        var byName = host.Results.ToDictionary(r => r.Name);
        Assert.False(byName["Garbage"].Loaded);
        Assert.Contains("could not be loaded", byName["Garbage"].Error);
        Assert.False(byName["Empty"].Loaded);
        Assert.Contains("no Empty.dll", byName["Empty"].Error);

        var misbehaving = byName["MisbehavingPlugins"];
        Assert.False(misbehaving.Loaded);
        Assert.Contains("ThrowingPlugin threw while being constructed: deliberate failure", misbehaving.Error);
        Assert.Contains("FutureContract was built against contract version 99", misbehaving.Error);
        Assert.Contains("Clashing registers Edit 'mix', which is already registered", misbehaving.Error);

        // The well-behaved plugin in the same assembly, the samples and the built-ins all still work.
        Assert.Equal("WellBehaved", host.Registry.Components.Single(c => c.Name == "well-behaved").Origin);
        Assert.True(byName["ModulatedResidual"].Loaded);
        Assert.Equal(ComponentRegistry.BuiltIn, host.Registry.Components.Single(c => c.Name == "mix").Origin);
    }

    [Fact]
    public void A_plugin_that_ships_its_own_TorchSharp_is_refused()
    {
        var sneaky = Directory.CreateDirectory(Path.Combine(_dir, "FineColourTransfer")).FullName;
        foreach (var f in Directory.GetFiles(Path.Combine(PluginFolders.Samples, "FineColourTransfer")))
            File.Copy(f, Path.Combine(sneaky, Path.GetFileName(f)));
        File.WriteAllBytes(Path.Combine(sneaky, "TorchSharp.dll"), [0]);
        var host = Load(_dir);
        var r = Assert.Single(host.Results);
        Assert.False(r.Loaded);
        Assert.Contains("ships its own TorchSharp", r.Error);
        Assert.DoesNotContain(host.Registry.Components, c => c.Name == "colour-transfer");
    }

    [Fact]
    public void Sample_plugin_outputs_carry_no_TorchSharp_or_libtorch()
    {
        var files = Directory.GetFiles(PluginFolders.Samples, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.NotEmpty(files);
        Assert.DoesNotContain(files, f => f!.Contains("Torch", StringComparison.OrdinalIgnoreCase) || f.StartsWith("libtorch", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f == "Automodulator.Abstractions.dll");
    }

    [Fact]
    public void Plugin_block_shares_the_host_TorchSharp_and_starts_as_the_identity()
    {
        var host = Load(PluginFolders.Samples);
        using var block = host.Registry.CreateBlock("modulated-residual",
            new BlockSpec(8, 8, 16, false, 16, new Dictionary<string, string>()));
        Assert.Same(typeof(ModulatedBlock).Assembly, block.GetType().BaseType!.Assembly);
        using var scope = NewDisposeScope();
        var x = randn(2, 8, 16, 16);
        var z = randn(2, 16);
        Assert.True(block.call(x, [z]).eq(x).all().item<bool>(), "gamma = 0 must leave the input unchanged");
        // Inserted (no upsampling) it must keep the width; appended as a new level it upsamples and may change it.
        Assert.Throws<ArgumentException>(() => host.Registry.CreateBlock("modulated-residual",
            new BlockSpec(8, 16, 16, false, 16, new Dictionary<string, string>())));
        using var appended = host.Registry.CreateBlock("modulated-residual", new BlockSpec(8, 4, 16, true, 32, new Dictionary<string, string>()));
        Assert.Equal(new long[] { 2, 4, 32, 32 }, appended.call(x, [z]).shape);
    }

    [Fact]
    public void Plugin_loss_term_computes_total_variation()
    {
        var host = Load(PluginFolders.Samples);
        var term = host.Registry.CreateLoss("total_variation", new LossSpec(0.5, new Dictionary<string, string> { ["step"] = "encoder" }));
        Assert.Equal(TrainingStep.Encoder, term.Step);
        Assert.Equal(LossInputs.Reconstruction, term.Reads);
        using var scope = NewDisposeScope();
        // A vertical ramp 0,1,2 in every column: |dy| = 1 everywhere, |dx| = 0.
        var ramp = arange(3, dtype: ScalarType.Float32).reshape(1, 1, 3, 1).expand(1, 1, 3, 4);
        var loss = term.Compute(new LossContext { Reconstruction = ramp });
        Assert.Equal(1.0f, loss.item<float>(), 5);
    }
}
