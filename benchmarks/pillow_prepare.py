#!/usr/bin/env python3
"""The Pillow peer of the prepare benchmark: `pillow_prepare.py [--subsampling 4:4:4] WORKERS OUT_DIR FILE...`.

Pillow's fast path: JPEG draft mode (libjpeg's DCT-domain downscale to the largest M/8 scale
that stays at least the target size), exif_transpose, LANCZOS to a 2048 px long side (never
upscaled), then JPEG quality 92 with 4:2:0 chroma (or --subsampling) and no metadata. One process for 1 worker, a
process pool otherwise. Imports nothing but Pillow, so its memory is Pillow's own.
"""

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps

MAX_SIDE = 2048
QUALITY = 92
SUBSAMPLING = "4:2:0"


def fit_size(width: int, height: int) -> tuple[int, int]:
    """Size with the long side at most MAX_SIDE, never upscaled."""
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white."""
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def prepare(source: str, out_dir: str, subsampling: str = SUBSAMPLING) -> None:
    with Image.open(source) as image:
        stored = fit_size(*image.size)
        turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
        target = (stored[1], stored[0]) if turned else stored
        if image.format == "JPEG":
            image.draft("RGB", stored)
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "L"):
            image = flatten(image)
        if image.size != target:
            image = image.resize(target, Image.Resampling.LANCZOS)
        image.save(Path(out_dir) / (Path(source).stem + ".jpg"), "JPEG", quality=QUALITY, subsampling=subsampling)


def main() -> None:
    arguments = sys.argv[1:]
    subsampling = SUBSAMPLING
    if arguments[:1] == ["--subsampling"]:
        subsampling, arguments = arguments[1], arguments[2:]
    workers, out_dir, files = int(arguments[0]), arguments[1], arguments[2:]
    if workers == 1:
        for source in files:
            prepare(source, out_dir, subsampling)
    else:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(prepare, files, [out_dir] * len(files), [subsampling] * len(files), chunksize=1))


if __name__ == "__main__":
    main()
