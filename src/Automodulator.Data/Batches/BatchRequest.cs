namespace Automodulator.Data.Batches;

/// <summary>What one training step wants: how many images, at which resolution, with which fade-in weight.</summary>
/// <param name="BatchSize">Images in the batch.</param>
/// <param name="Resolution">Side length (a power of two).</param>
/// <param name="Alpha">
/// Fade-in weight while resolution R is being grown: images are α·level R + (1 − α)·(level R/2 upsampled 2× nearest),
/// as PGGAN / StyleGAN blend real images during a transition. 1 = level R only.
/// </param>
public sealed record BatchRequest(int BatchSize, int Resolution, double Alpha = 1);

/// <summary>How batches are drawn.</summary>
/// <param name="FlipPairShare">Share of each batch (0..1) that also comes mirrored in <see cref="ImageBatch.FlipPairs"/>.</param>
/// <param name="MirrorAugment">Mirror each image with probability ½ (on for faces, off for LSUN as in the paper).</param>
/// <param name="Seed">Seeds the epoch order and the mirror coin flips.</param>
/// <param name="Capacity">Ready batches kept ahead of the trainer (bounded channel size).</param>
public sealed record BatchOptions(double FlipPairShare = 0, bool MirrorAugment = true, ulong Seed = 0, int Capacity = 4);
