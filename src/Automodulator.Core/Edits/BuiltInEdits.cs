using Automodulator.Abstractions;

namespace Automodulator.Core.Edits;

/// <summary>The edit operations that ship with the core; registered through the same registry as plugins.</summary>
public static class BuiltInEdits
{
    public static IReadOnlyList<IEditOperation> All() =>
    [
        new ReconstructEdit(), new StyleMixEdit(), new AttributeEdit(), new ConditionalSampleEdit(),
        new InterpolateEdit(), new RandomSampleEdit(),
    ];
}
