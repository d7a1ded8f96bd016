using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Automodulator.Core.Layers;

/// <summary>Operand precision of the model's spatial (3×3 and 4×4) convolutions.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConvPrecision>))]
public enum ConvPrecision
{
    /// <summary>Everything in float32, as the paper's code does.</summary>
    Float32,

    /// <summary>
    /// Mixed precision: the convolution's input and weight are rounded to bfloat16 and oneDNN accumulates in float32;
    /// the result comes back as float32, so parameters, optimiser state, normalisation and losses stay float32. CPUs
    /// with AVX512-BF16 or AMX run these convolutions about 2× faster (measured: 3×3, 64 channels, batch 16, 32×32,
    /// forward + backward, 1 thread: 51 → 22 ms).
    /// </summary>
    BFloat16,
}

/// <summary>A convolution layer whose operand precision the trainer can switch.</summary>
public interface IPrecisionSwitchable
{
    ConvPrecision Precision { get; set; }
}

/// <summary>The convolution under a chosen operand precision, and what this machine supports.</summary>
public static class PrecisionConv
{
    /// <summary>conv2d(x, w) + b with x and w rounded to bfloat16 when asked; the result is float32 either way.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, long padding, ConvPrecision precision) =>
        Run(x, weight, bias, precision, (xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, padding: [padding, padding]));

    /// <summary>conv_transpose2d(x, w, stride 2, padding 1) + b under the chosen operand precision (float32 result).</summary>
    public static Tensor ConvTranspose2dStride2(Tensor x, Tensor weight, Tensor? bias, ConvPrecision precision) =>
        Run(x, weight, bias, precision, (xi, wi, bi) => nn.functional.conv_transpose2d(xi, wi, bi, strides: [2, 2], padding: [1, 1]));

    /// <summary>
    /// conv2d(x, w) + b that, under bfloat16, also returns bfloat16 (bias included, as autocast does) so that the next
    /// conv takes it without a cast; x may already be bfloat16. Under float32 the same as <see cref="Conv2d"/>.
    /// </summary>
    public static Tensor Conv2dKeepingPrecision(Tensor x, Tensor weight, Tensor? bias, long padding, ConvPrecision precision) =>
        Run(x, weight, bias, precision, (xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, padding: [padding, padding]), bfloat16Result: true);

    private static Tensor Run(Tensor x, Tensor weight, Tensor? bias, ConvPrecision precision, Func<Tensor, Tensor, Tensor?, Tensor> conv,
        bool bfloat16Result = false)
    {
        if (precision == ConvPrecision.Float32 || x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16)) return conv(x, weight, bias);
        using var xr = x.dtype == ScalarType.BFloat16 ? x.alias() : x.to(ScalarType.BFloat16);
        using var wr = weight.to(ScalarType.BFloat16);
        if (bfloat16Result)
        {
            using var br = bias?.to(ScalarType.BFloat16);
            return conv(xr, wr, br);
        }
        var y = conv(xr, wr, null).to(ScalarType.Float32);
        // The bias is added in float32 so that it is not rounded.
        return bias is null ? y : y.add_(bias.view(1, -1, 1, 1));
    }

    /// <summary>
    /// True when bfloat16 convolutions are fast here: a CUDA device, or a CPU that lists avx512_bf16 or amx_bf16
    /// (elsewhere oneDNN emulates bfloat16 and it is slower than float32).
    /// </summary>
    public static bool IsFast(Device device) => device.type == DeviceType.CUDA || CpuHasBFloat16();

    private static readonly Lazy<bool> _cpuBf16 = new(() =>
    {
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return false;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal))
                    return line.Split(' ', '\t').Any(f => f is "avx512_bf16" or "amx_bf16");
            return false;
        }
        catch (IOException) { return false; }
    });

    private static bool CpuHasBFloat16() => _cpuBf16.Value;

    /// <summary>True for the names <see cref="Parse"/> accepts.</summary>
    public static bool IsName(string text) => Named(text, out _);

    /// <summary>Parses "fp32", "bf16" or "auto" (bf16 where <see cref="IsFast"/>, else fp32).</summary>
    public static ConvPrecision Parse(string text, Device device) =>
        !Named(text, out var fixedPrecision) ? throw new ArgumentException(UnknownMessage(text))
        : fixedPrecision ?? (IsFast(device) ? ConvPrecision.BFloat16 : ConvPrecision.Float32);

    /// <summary>The error for a name that is none of fp32, bf16 and auto.</summary>
    public static string UnknownMessage(string text) => $"Unknown precision \"{text}\": use fp32, bf16 or auto.";

    /// <summary>Whether <paramref name="text"/> names a precision; "auto" gives null (it depends on the device).</summary>
    private static bool Named(string text, out ConvPrecision? precision)
    {
        precision = text.Trim().ToLowerInvariant() switch
        {
            "fp32" or "float32" => ConvPrecision.Float32,
            "bf16" or "bfloat16" => ConvPrecision.BFloat16,
            _ => null,
        };
        return precision is not null || text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);
    }
}
