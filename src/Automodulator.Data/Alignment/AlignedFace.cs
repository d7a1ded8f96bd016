using System.Numerics;
using Automodulator.Data.Imaging;

namespace Automodulator.Data.Alignment;

/// <summary>
/// An aligned crop and how it was made: the quad in source-image coordinates, the integer shrink the recipe applied
/// before cropping, and whether the reflect/blur/fade padding ran (the quad reached past the image).
/// </summary>
public sealed record AlignedFace(RgbImage Image, FaceQuad Quad, int Shrink, bool Padded)
{
    /// <summary>Where a source-image point lands in <see cref="Image"/> (pixel-centre coordinates).</summary>
    public Vector2 ToAligned(Vector2 sourcePoint) => Quad.ToAligned(sourcePoint.X, sourcePoint.Y, Image.Width);
}
