#!/usr/bin/python3
"""Makes the CMYK JPEG fixtures of tests/fixtures/cmyk/ (run with Debian's python3-pil and python3-numpy).

  reference.png   the RGB original, 48x32: the astronaut's face (left) and flat colour patches (right)
  cmyk_pil.jpg    PIL's im.convert('CMYK') (K = 0, C = 255 - R ...), saved as a CMYK JPEG (Adobe APP14, inverted)
  cmyk_k.jpg      the same with the grey component moved to K (K = 255 - max(R, G, B)), as prepress tools write

Both are naive (device, no ICC profile) CMYK, so converting back with R = (1 - C)(1 - K) ... gives the original
RGB up to JPEG loss; that is what the decoder must do.
"""
import os

import numpy as np
import PIL.Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..', 'fixtures')
OUT = os.path.join(ROOT, 'cmyk')

PATCHES = [(230, 30, 30), (30, 200, 40), (40, 60, 220), (240, 220, 40), (128, 128, 128), (250, 250, 250)]


def main():
    os.makedirs(OUT, exist_ok=True)
    face = PIL.Image.open(os.path.join(ROOT, 'astronaut.png')).convert('RGB').crop((160, 60, 352, 252))
    img = PIL.Image.new('RGB', (48, 32))
    img.paste(face.resize((32, 32), PIL.Image.LANCZOS), (0, 0))
    # 8x8 patches (whole JPEG blocks, so chroma subsampling does not bleed between them) in a 2x3 grid at x 32..47.
    for i, rgb in enumerate(PATCHES):
        x, y = 32 + 8 * (i % 2), 8 * (i // 2)
        img.paste(rgb, (x, y, x + 8, y + 8))
    img.paste((20, 20, 20), (32, 24, 48, 32))
    ref = os.path.join(OUT, 'reference.png')
    img.save(ref)
    img.convert('CMYK').save(os.path.join(OUT, 'cmyk_pil.jpg'), quality=95)
    rgb = np.asarray(img, np.float64) / 255
    k = 1 - rgb.max(axis=2)
    cmy = (1 - rgb - k[..., None]) / np.maximum(1 - k[..., None], 1e-9)
    cmyk = np.concatenate([cmy, k[..., None]], axis=2)
    PIL.Image.fromarray(np.uint8(np.round(cmyk * 255)), 'CMYK').save(os.path.join(OUT, 'cmyk_k.jpg'), quality=95)


if __name__ == '__main__':
    main()
