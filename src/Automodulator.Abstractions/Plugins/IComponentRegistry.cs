namespace Automodulator.Abstractions.Plugins;

/// <summary>
/// Where built-in and plugin components are registered, by kind and unique name. Built-ins go through the same
/// calls, so a plugin can do anything a built-in can.
/// </summary>
public interface IComponentRegistry
{
    /// <summary>A decoder block type, created from a <see cref="BlockSpec"/> when a model is built or loaded.</summary>
    void AddBlock(string typeName, Func<BlockSpec, ModulatedBlock> factory);

    /// <summary>A loss term type, created with its weight and options when training starts.</summary>
    void AddLoss(string name, Func<LossSpec, ILossTerm> factory);

    /// <summary>An edit operation.</summary>
    void AddEdit(IEditOperation edit);
}

/// <summary>
/// What a block factory gets: the shapes around the insertion point and free-form options from the user or the
/// checkpoint. <see cref="Resolution"/> is the block's output resolution.
/// </summary>
public sealed record BlockSpec(int InChannels, int OutChannels, int LatentDim, bool Upsamples, int Resolution,
    IReadOnlyDictionary<string, string> Options);

/// <summary>What a loss factory gets: the weight and free-form options.</summary>
public sealed record LossSpec(double Weight, IReadOnlyDictionary<string, string> Options);
