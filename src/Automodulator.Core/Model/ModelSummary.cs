using Automodulator.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Model;

/// <summary>One row of `automod model info`: a block, its parameters, and the style width of each of its layers.</summary>
public sealed record BlockSummary(string Name, int Resolution, long Parameters, IReadOnlyList<int> Layers, IReadOnlyList<int> StyleWidths);

/// <summary>Per-block parameter counts and per-layer style widths of a network.</summary>
public sealed record ModelSummary(ModelConfig Config, IReadOnlyList<BlockSummary> Encoder, IReadOnlyList<BlockSummary> Decoder,
    long EncoderParameters, long DecoderParameters, IReadOnlyList<int> LayerResolutions)
{
    public long TotalParameters => EncoderParameters + DecoderParameters;

    public static ModelSummary Of(AutomodulatorNetwork net)
    {
        static long Count(nn.Module m) => m.parameters().Sum(p => p.NumberOfElements);
        var enc = net.Encoder.NamedBlocks()
            .Select(b => new BlockSummary($"encoder.{b.Name}", int.Parse(b.Name.Split('.')[1].Split('x')[0]), Count(b.Module), [], []))
            .ToList();
        var dec = new List<BlockSummary>();
        int layer = 1;
        foreach (var (key, block, res) in net.Decoder.Blocks)
        {
            var layers = Enumerable.Range(layer, block.LayerCount).ToArray();
            layer += block.LayerCount;
            dec.Add(new BlockSummary($"decoder.blocks.{key}", res, Count(block), layers, block.StyleWidths));
        }
        dec.AddRange(net.Decoder.NamedToRgb().Select(b =>
            new BlockSummary($"decoder.{b.Name}", int.Parse(b.Name.Split('.')[1].Split('x')[0]), Count(b.Module), [], [])));
        long constant = net.Decoder.named_parameters().Where(p => p.name == "constant").Sum(p => p.parameter.NumberOfElements);
        dec.Insert(0, new BlockSummary("decoder.constant", 4, constant, [], []));
        return new ModelSummary(net.Config, enc, dec, Count(net.Encoder), Count(net.Decoder), net.Decoder.LayerResolutions);
    }
}
