namespace Automodulator.Core.Model;

/// <summary>
/// How far to decode: output resolution, fade-in α of that resolution, and optionally the 1-based layer j after
/// which to stop and return the intermediate canvas ξ⁽ʲ⁾ (a feature map, not an image) instead of RGB.
/// </summary>
public readonly record struct DecodeSpec(int Resolution, double Alpha = 1.0, int? StopAfterLayer = null);
