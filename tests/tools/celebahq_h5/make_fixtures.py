#!/usr/bin/python3
"""Makes the small HDF5 fixtures of tests/fixtures/celebahq_h5/ (run with Debian's python3-h5py, python3-pil).

The .h5 files use the dataset settings of progressive_growing_of_gans' h5tool.py (HDF5Exporter), only at tiny sizes:
one dataset per level 'data{r}x{r}' for r = R, R/2, ..., 1, each created empty with shape (0, c, r, r),
maxshape (None, c, r, r), chunks (ceil(128 / (c*r*r)), c, r, r), gzip level 4 (no shuffle), then grown with resize()
and filled; lower levels are 2x2 averages of the *unrounded* float level above, rounded with np.round at each store.
h5py's default libver ('earliest') gives superblock v0 and a v1 B-tree chunk index, as h5tool's files have.

Writes:
  celebahq16.h5         6 RGB images, 16x16 (levels 16 ... 1)
  png/img00000000.png   the same 6 images as PNGs (h5tool extract's names), the reference for the equality test
  celebahq16.chunks.json  file offset and size of each data16x16 chunk (tests damage one image's chunk)
  gray8.h5              3 single-channel images, 8x8 (h5tool supports channels=1)
  other.h5              a valid HDF5 file without any data{R}x{R} dataset (must be refused with a clear message)
"""
import json
import math
import os

import h5py
import numpy as np
import PIL.Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'fixtures', 'celebahq_h5')


def export(path, images):
    """images: uint8 [N, c, R, R]; writes the levels as h5tool's HDF5Exporter does (one flush of all images)."""
    n, c, res, _ = images.shape
    rlog2 = int(math.log2(res))
    with h5py.File(path, 'w') as f:
        img = images
        for lod in range(rlog2, -1, -1):
            r = 2 ** lod
            bytes_per_item = c * r * r
            chunk = int(math.ceil(128.0 / bytes_per_item))
            ds = f.create_dataset('data%dx%d' % (r, r), shape=(0, c, r, r), dtype=np.uint8,
                                  maxshape=(None, c, r, r), chunks=(chunk, c, r, r),
                                  compression='gzip', compression_opts=4)
            while img.shape[2] > r:
                img = img.astype(np.float32)
                img = (img[:, :, 0::2, 0::2] + img[:, :, 0::2, 1::2] + img[:, :, 1::2, 0::2] + img[:, :, 1::2, 1::2]) * 0.25
            quant = np.uint8(np.clip(np.round(img), 0, 255))
            ds.resize(ds.shape[0] + n, axis=0)
            ds[-n:] = quant


def faces(n, res, rng):
    """Smooth coloured blobs plus noise: varied enough that any pixel mix-up shows."""
    y, x = np.mgrid[0:res, 0:res].astype(np.float32) / res
    out = np.zeros((n, 3, res, res), np.uint8)
    for i in range(n):
        cx, cy, s = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.3)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))
        for ch in range(3):
            base = rng.uniform(20, 120) + rng.uniform(-60, 60) * x + rng.uniform(-60, 60) * y
            v = base + rng.uniform(60, 130) * blob + rng.normal(0, 12, (res, res))
            out[i, ch] = np.uint8(np.clip(np.round(v), 0, 255))
    return out


def main():
    os.makedirs(os.path.join(OUT, 'png'), exist_ok=True)
    rng = np.random.RandomState(2017)
    rgb = faces(6, 16, rng)
    export(os.path.join(OUT, 'celebahq16.h5'), rgb)
    for i, img in enumerate(rgb):
        PIL.Image.fromarray(img.transpose(1, 2, 0), 'RGB').save(os.path.join(OUT, 'png', 'img%08d.png' % i))
    with h5py.File(os.path.join(OUT, 'celebahq16.h5'), 'r') as f:
        ds = f['data16x16'].id
        chunks = [ds.get_chunk_info(i) for i in range(ds.get_num_chunks())]
        info = [{'index': int(c.chunk_offset[0]), 'offset': int(c.byte_offset), 'size': int(c.size)} for c in chunks]
    with open(os.path.join(OUT, 'celebahq16.chunks.json'), 'w') as f:
        json.dump({'dataset': 'data16x16', 'chunks': info}, f, indent=1)
        f.write('\n')
    gray = faces(3, 8, rng)[:, :1]
    export(os.path.join(OUT, 'gray8.h5'), gray)
    with h5py.File(os.path.join(OUT, 'other.h5'), 'w') as f:
        f.create_dataset('images', data=np.zeros((2, 4, 4, 3), np.uint8))


if __name__ == '__main__':
    main()
