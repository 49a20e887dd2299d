#!/usr/bin/env python3
"""Prepare benchmark: TunePrep against Pillow, libvips, ImageMagick and a libjpeg-turbo floor.

Builds a corpus of real photos, prepares it with every tool at the same settings (2048 px long
side, never upscaled, upright, metadata stripped, JPEG quality 92, chroma 4:2:0) with 1 and 2
workers, measures wall time and peak memory, scores each tool's outputs by SSIM (luma) against an
independent float Lanczos reference, and prints one table.

Run it through benchmarks/run.sh, which installs the tools and builds TunePrep first.
`python3 benchmarks/prepare_bench.py --help` lists the options.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import psutil
from PIL import Image, ImageOps
from scipy.ndimage import gaussian_filter

MAX_SIDE = 2048
QUALITY = 92
REPO = Path(__file__).resolve().parent.parent
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}

# EXIF-rotated copies: (mate-backgrounds photo, orientation written with exiftool).
ROTATED_COPIES = [
    ("abstract/Elephants_3840x2160.jpg", 6),
    ("nature/Wood.jpg", 3),
    ("nature/TwoWings.jpg", 8),
]
# Lossless PNG copies of large photos, so PNG decoding is measured on real photographic content.
# Each loses a 16 px strip on the left: a pixel-exact copy of a JPEG in the same set would be (rightly)
# reported by TunePrep as a duplicate and left out of its outputs.
PNG_COPIES = ["abstract/Elephants_3840x2160.jpg", "nature/LadyBird.jpg"]


# ---------------------------------------------------------------------------------------------
# Corpus


@dataclass
class Photo:
    path: Path
    width: int  # as stored
    height: int
    bytes: int
    orientation: int

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    @property
    def is_jpeg(self) -> bool:
        return self.path.suffix.lower() in (".jpg", ".jpeg")


def run_quiet(command: list[str], **kwargs) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)


def mate_backgrounds(scratch: Path) -> Path | None:
    """Unpacks Debian's mate-backgrounds into scratch/mate (once); returns its backgrounds folder."""
    root = scratch / "mate"
    backgrounds = root / "x/usr/share/backgrounds/mate"
    if backgrounds.is_dir():
        return backgrounds
    root.mkdir(parents=True, exist_ok=True)
    try:
        run_quiet(["apt-get", "download", "mate-backgrounds"], cwd=root)
        deb = next(root.glob("mate-backgrounds_*.deb"))
        run_quiet(["dpkg-deb", "-x", str(deb), str(root / "x")])
        deb.unlink()
    except (subprocess.CalledProcessError, StopIteration, FileNotFoundError) as error:
        print(f"warning: could not unpack mate-backgrounds ({error}); continuing without it", file=sys.stderr)
        return None
    return backgrounds


def is_opaque_photo(path: Path) -> bool:
    """JPEGs, and PNGs without alpha: the PNGs with transparency in mate-backgrounds are drawings."""
    if path.suffix.lower() != ".png":
        return True
    with Image.open(path) as image:
        return image.mode in ("RGB", "L") and "transparency" not in image.info


def megapixels(path: Path) -> float:
    with Image.open(path) as image:
        return image.width * image.height / 1e6


def build_corpus(scratch: Path, shared: Path, quick: bool) -> list[Photo]:
    corpus = scratch / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)

    def add(source: Path, name: str) -> Path:
        target = corpus / name
        shutil.copyfile(source, target)
        return target

    shared_photos = shared / "photos"
    if shared_photos.is_dir():
        for source in sorted(shared_photos.rglob("*")):
            if source.suffix.lower() in IMAGE_SUFFIXES:
                add(source, f"shared-{source.parent.name}-{source.name}")
    else:
        print(f"note: {shared_photos} is absent; the corpus has no shared photos", file=sys.stderr)

    backgrounds = mate_backgrounds(scratch)
    if backgrounds is not None:
        for source in sorted(backgrounds.rglob("*")):
            if source.suffix.lower() in IMAGE_SUFFIXES and is_opaque_photo(source):
                add(source, f"mate-{source.parent.name}-{source.name}")
        for relative in PNG_COPIES:
            source = backgrounds / relative
            if source.is_file():
                stem = Path(relative).stem
                with Image.open(source) as image:
                    cropped = image.crop((16, 0, image.width, image.height))
                    cropped.save(corpus / f"mate-png-{stem}.png", optimize=False, compress_level=6)
        for relative, orientation in ROTATED_COPIES:
            source = backgrounds / relative
            if source.is_file():
                target = add(source, f"mate-rot{orientation}-{Path(relative).name}")
                run_quiet(["exiftool", "-q", "-overwrite_original", f"-Orientation={orientation}", "-n", str(target)])

    files = sorted(p for p in corpus.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if quick:
        # Every third photo, plus the largest and the rotated copies, for a run of about a minute.
        largest = max(files, key=megapixels)
        keep = set(files[::3]) | {largest} | {p for p in files if "-rot" in p.name}
        for path in files:
            if path not in keep:
                path.unlink()
        files = sorted(keep)
    photos = []
    for path in files:
        with Image.open(path) as image:
            orientation = image.getexif().get(0x0112, 1)
            photos.append(Photo(path, image.width, image.height, path.stat().st_size, orientation))
    return photos


def print_corpus_summary(photos: list[Photo]) -> None:
    jpegs = sum(p.is_jpeg for p in photos)
    rotated = sum(p.orientation not in (0, 1) for p in photos)
    total_mp = sum(p.megapixels for p in photos)
    total_mb = sum(p.bytes for p in photos) / 1e6
    smallest = min(photos, key=lambda p: p.megapixels)
    largest = max(photos, key=lambda p: p.megapixels)
    print(
        f"Corpus: {len(photos)} photos ({jpegs} JPEG, {len(photos) - jpegs} PNG, {rotated} with an EXIF rotation), "
        f"{total_mp:.1f} MP, {total_mb:.1f} MB; from {smallest.width}x{smallest.height} ({smallest.megapixels:.1f} MP) "
        f"to {largest.width}x{largest.height} ({largest.megapixels:.1f} MP, {largest.path.name})"
    )


# ---------------------------------------------------------------------------------------------
# Running a command and measuring it


@dataclass
class Measurement:
    wall: float
    cpu: float  # user + system seconds of the whole process tree
    peak_rss: int  # bytes: the largest of (sampled sum over the process tree, largest single process)
    returncode: int


def measure(command: list[str], env: dict[str, str] | None = None, sample_interval: float = 0.02) -> Measurement:
    """Runs command, timing it and sampling the summed RSS of its whole process tree.

    GNU time adds the exact peak of the largest single process (sampling can miss a short spike);
    the tree sum is what matters for a pool of processes running at once. The command is started
    through /usr/bin/time rather than measured with wait4 here: a child forked or vforked from this
    Python process inherits its high-water RSS (Linux keeps it across exec), so ru_maxrss would
    read at least this process's size.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        process = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", report.name, *command],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        peak_sum = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_sum
            try:
                root = psutil.Process(process.pid)
            except psutil.NoSuchProcess:
                return
            while not done.is_set():
                total = 0
                try:
                    for member in root.children(recursive=True):
                        try:
                            total += member.memory_info().rss
                        except psutil.Error:
                            pass
                except psutil.Error:
                    pass
                peak_sum = max(peak_sum, total)
                done.wait(sample_interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = process.communicate()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        # The last line is "%M %U %S" (a line before it tells a non-zero exit status).
        kilobytes, user, system = report.read().strip().splitlines()[-1].split()
        largest_process = int(kilobytes) * 1024
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip().splitlines()[-5:]
        print(f"  note: {Path(command[0]).name} exited {process.returncode}: {' | '.join(message)}", file=sys.stderr)
    return Measurement(wall, float(user) + float(system), max(peak_sum, largest_process), process.returncode)


# ---------------------------------------------------------------------------------------------
# The tools


def fit_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """Size with the long side at most max_side, never upscaled."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def floor_scale(photo: Photo) -> int:
    """Smallest M (of M/8) whose scaled decode still has a long side of at least 2048 px."""
    long_side = max(photo.width, photo.height)
    for m in range(1, 9):
        if math.ceil(long_side * m / 8) >= min(MAX_SIDE, long_side):
            return m
    return 8


@dataclass
class Tool:
    name: str
    slug: str  # names its output folders
    # Builds (command, extra environment) for (workers, out_dir, photos).
    command: Callable[[int, Path, list[Photo]], tuple[list[str], dict[str, str]]]
    needs: tuple[str, ...] = ()  # programs that must be installed
    jpeg_only: bool = False
    scored: bool = True  # outputs are at the target size and oriented, so SSIM and orientation apply


def make_tools(tuneprep: Path) -> list[Tool]:
    single = {"VIPS_CONCURRENCY": "1", "OMP_NUM_THREADS": "1", "MAGICK_THREAD_LIMIT": "1"}

    def tuneprep_command(workers: int, out_dir: Path, photos: list[Photo]) -> tuple[list[str], dict]:
        # One folder argument: TunePrep takes the whole set in one process.
        folder = photos_folder(photos)
        return [
            str(tuneprep), "prepare", str(folder), "--out", str(out_dir), "--force", "--quiet", "--no-person-checks",
            "--max-images", "1000", "--min-images", "0", "--min-side", "1", "--max-bytes", "100000000",
            "--max-side", str(MAX_SIDE), "--quality", str(QUALITY), "--chroma", "420", "--workers", str(workers),
        ], {}

    def pillow_command(workers: int, out_dir: Path, photos: list[Photo]) -> tuple[list[str], dict]:
        script = Path(__file__).resolve().parent / "pillow_prepare.py"
        return [sys.executable, str(script), str(workers), str(out_dir), *[str(p.path) for p in photos]], {}

    def vips_command(per_process: int):
        def command(workers: int, out_dir: Path, photos: list[Photo]) -> tuple[list[str], dict]:
            listing = write_list(out_dir, photos)
            return ["xargs", "-a", str(listing), "-d", "\n", "-P", str(workers), "-n", str(per_process),
                    "vipsthumbnail", "--size", f"{MAX_SIDE}x{MAX_SIDE}>",
                    "-o", f"{out_dir}/%s.jpg[Q={QUALITY},strip,subsample_mode=on]"], single
        return command

    def magick_command(workers: int, out_dir: Path, photos: list[Photo]) -> tuple[list[str], dict]:
        listing = write_list(out_dir, photos)
        script = (f'exec /usr/bin/convert "$1" -auto-orient -resize "{MAX_SIDE}x{MAX_SIDE}>" -strip '
                  f'-quality {QUALITY} -sampling-factor 4:2:0 "{out_dir}/$(basename "${{1%.*}}").jpg"')
        return ["xargs", "-a", str(listing), "-d", "\n", "-P", str(workers), "-n", "1",
                "sh", "-c", script, "sh"], single

    def floor_command(workers: int, out_dir: Path, photos: list[Photo]) -> tuple[list[str], dict]:
        listing = out_dir / ".list"
        lines = [f"{floor_scale(p)} {p.path}" for p in photos if p.is_jpeg]
        listing.write_text("\n".join(lines) + "\n")
        script = (f'djpeg -scale "$1/8" "$2" | cjpeg -quality {QUALITY} -sample 2x2 '
                  f'> "{out_dir}/$(basename "${{2%.*}}").jpg"')
        return ["xargs", "-a", str(listing), "-d", "\n", "-P", str(workers), "-L", "1",
                "sh", "-c", f'set -- $1; {script}', "sh"], {}

    def photos_folder(photos: list[Photo]) -> Path:
        folders = {p.path.parent for p in photos}
        assert len(folders) == 1, "TunePrep is given one folder holding exactly the photos"
        return folders.pop()

    return [
        Tool("TunePrep", "tuneprep", tuneprep_command),
        Tool("Pillow draft+LANCZOS", "pillow", pillow_command),
        Tool("vipsthumbnail, 4 per process", "vips4", vips_command(4), needs=("vipsthumbnail",)),
        Tool("vipsthumbnail, 1 per process", "vips1", vips_command(1), needs=("vipsthumbnail",)),
        Tool("ImageMagick convert", "magick", magick_command, needs=("/usr/bin/convert",)),
        Tool("floor: djpeg M/8 + cjpeg", "floor", floor_command, needs=("djpeg", "cjpeg"), jpeg_only=True, scored=False),
    ]


def write_list(out_dir: Path, photos: list[Photo]) -> Path:
    listing = out_dir / ".list"
    listing.write_text("".join(f"{p.path}\n" for p in photos))
    return listing


def tool_available(tool: Tool) -> str | None:
    """Why the tool cannot run here, or None."""
    missing = [program for program in tool.needs if shutil.which(program) is None]
    return f"{', '.join(missing)} not installed" if missing else None


def output_for(tool: Tool, out_dir: Path, photo: Photo) -> Path | None:
    path = out_dir / (photo.path.stem + ".jpg")
    return path if path.is_file() else None


def tuneprep_outputs(out_dir: Path) -> dict[str, Path]:
    """Maps each source file name to its staged output, from TunePrep's manifest."""
    manifest = json.loads((out_dir / "manifest.json").read_text())
    outputs = {}
    for image in manifest["images"]:
        if image.get("output"):
            outputs[Path(image["source"]).name] = out_dir / image["output"]["name"]
    return outputs


# ---------------------------------------------------------------------------------------------
# Quality: SSIM (luma) against an independent float Lanczos reference, and orientation


def luma(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, range 255.

    float32 (its rounding is far below the constants), the 5 px border left out as scikit-image does.
    """
    blur = lambda x: gaussian_filter(x, sigma=1.5, truncate=3.5)  # radius 5: an 11x11 window
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a * mu_a
    var_b = blur(b * b) - mu_b * mu_b
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(index[5:-5, 5:-5].mean()) if min(index.shape) > 10 else float(index.mean())


def flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white (as every tool here does)."""
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def oriented_source(path: Path) -> Image.Image:
    """Full decode (no draft), EXIF orientation applied, RGB."""
    with Image.open(path) as image:
        image.load()
        image = ImageOps.exif_transpose(image)
    return flatten(image)


def reference_luma(source: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """LANCZOS in float (mode F) per channel to size, clipped to 0-255, then BT.601 luma."""
    channels = [np.asarray(c.convert("F").resize(size, Image.Resampling.LANCZOS), dtype=np.float64)
                for c in source.split()]
    return luma(np.clip(np.stack(channels, axis=-1), 0, 255))


def upright(output: np.ndarray, reference_small: np.ndarray) -> bool:
    """True when the output matches the reference better as is than flipped or turned by 180."""
    thumb = np.asarray(Image.fromarray(output.astype(np.float32), "F").resize(reference_small.shape[::-1],
                       Image.Resampling.BILINEAR), dtype=np.float64)
    error = lambda candidate: float(np.mean((candidate - reference_small) ** 2))
    identity = error(thumb)
    return all(identity <= error(t) for t in (thumb[::-1, ::-1], thumb[::-1, :], thumb[:, ::-1]))


def score_source(job: tuple[str, list[tuple[str, str]]]) -> list[tuple[str, float, bool, bool]]:
    """For one source photo: (tool, ssim, upright, has_metadata) for every tool's output."""
    source_path, outputs = job
    source = oriented_source(Path(source_path))
    references: dict[tuple[int, int], np.ndarray] = {}
    reference_small = reference_luma(source, fit_size(*source.size, max_side=96))
    by_content: dict[bytes, tuple[float, bool, bool]] = {}  # identical files (vipsthumbnail's two runs) once
    results = []
    for tool, output_path in outputs:
        content = Path(output_path).read_bytes()
        key = hashlib.sha256(content).digest()
        if key not in by_content:
            with Image.open(io.BytesIO(content)) as output_image:
                has_metadata = bool(output_image.getexif()) or "icc_profile" in output_image.info
                output = luma(np.asarray(output_image.convert("RGB"), dtype=np.float32))
            size = (output.shape[1], output.shape[0])
            if abs(math.log((size[0] / size[1]) / (source.width / source.height))) < 0.02:
                if size not in references:
                    references[size] = reference_luma(source, size)
                by_content[key] = (ssim(output, references[size]), upright(output, reference_small), has_metadata)
            else:
                # Turned by 90 degrees (or distorted): scored against the reference squeezed to that size.
                by_content[key] = (ssim(output, reference_luma(source, size)), False, has_metadata)
        results.append((tool, *by_content[key]))
    return results


@dataclass
class Row:
    """One tool at one worker count: its runs, and what its outputs scored."""

    tool: Tool
    workers: int
    inputs: list[Photo]
    runs: list[Measurement] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)  # source file name -> output
    largest_peak_mb: float = float("nan")
    ssim: float = float("nan")
    mismatches: int | None = None
    with_metadata: int | None = None
    skipped: str = ""

    @property
    def median(self) -> Measurement | None:
        return sorted(self.runs, key=lambda m: m.wall)[len(self.runs) // 2] if self.runs else None

    @property
    def rate(self) -> float:
        return len(self.inputs) / self.median.wall if self.median else float("nan")

    @property
    def peak_mb(self) -> float:
        return max(m.peak_rss for m in self.runs) / 1e6 if self.runs else float("nan")

    @property
    def mean_kb(self) -> float:
        sizes = [path.stat().st_size for path in self.outputs.values()]
        return statistics.mean(sizes) / 1e3 if sizes else float("nan")


def run_once(tool: Tool, workers: int, photos: list[Photo], out_dir: Path) -> Measurement:
    """One run of a tool into a fresh output folder."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    command, extra_env = tool.command(workers, out_dir, photos)
    if tool.slug == "tuneprep":
        shutil.rmtree(out_dir)  # TunePrep builds its set beside --out and renames it into place
    return measure(command, env={**os.environ, **extra_env})


def collect_outputs(tool: Tool, out_dir: Path, photos: list[Photo]) -> dict[str, Path]:
    if tool.slug == "tuneprep":
        return tuneprep_outputs(out_dir) if (out_dir / "manifest.json").is_file() else {}
    outputs = {}
    for photo in photos:
        path = output_for(tool, out_dir, photo)
        if path is not None:
            outputs[photo.path.name] = path
    return outputs


def startup_time(tuneprep: Path, scratch: Path) -> tuple[float, str]:
    """Median of 20 runs of `tuneprep --help`, in seconds."""
    if shutil.which("hyperfine"):
        export = scratch / "hyperfine.json"
        run_quiet(["hyperfine", "--runs", "20", "--warmup", "3", "-N", "--export-json", str(export),
                   f"{tuneprep} --help"])
        return json.loads(export.read_text())["results"][0]["median"], "hyperfine, 20 runs"
    times = []
    for _ in range(23):
        start = time.perf_counter()
        run_quiet([str(tuneprep), "--help"])
        times.append(time.perf_counter() - start)
    return statistics.median(times[3:]), "Python timing, 20 runs"


SCALING_MEGAPIXELS = (0.25, 1, 2, 4, 8, 16, 32)


def pixel_scaling(tuneprep: Path, scratch: Path, source: Path, rounds: int) -> list[tuple[float, float, float]]:
    """TunePrep's CPU seconds for one photo of each size in SCALING_MEGAPIXELS: the source photo
    resampled with Pillow (LANCZOS) and saved as a baseline JPEG (quality 92, 4:2:0), prepared alone
    with one worker; the fastest wall time of at least 5 runs (GNU time's CPU seconds are only
    counted to 10 ms), and the highest peak memory. Returns (megapixels, seconds, peak MB)."""
    folder = scratch / "scaling"
    shutil.rmtree(folder, ignore_errors=True)
    with Image.open(source) as image:
        image.load()
        upright = flatten(ImageOps.exif_transpose(image))
    width, height = upright.size
    results = []
    for megapixels in SCALING_MEGAPIXELS:
        factor = math.sqrt(megapixels * 1e6 / (width * height))
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        photo_dir = folder / f"{megapixels:g}MP"
        photo_dir.mkdir(parents=True)
        upright.resize(size, Image.Resampling.LANCZOS).save(photo_dir / "photo.jpg", quality=92, subsampling=2)
        command = [str(tuneprep), "prepare", str(photo_dir), "--out", str(folder / "out"), "--force", "--quiet", "--no-person-checks",
                   "--min-images", "0", "--min-side", "1", "--max-bytes", "100000000", "--max-side", str(MAX_SIDE),
                   "--quality", "92", "--chroma", "420", "--workers", "1"]
        runs = [measure(command) for _ in range(max(5, rounds))]
        results.append((size[0] * size[1] / 1e6, min(r.wall for r in runs), max(r.peak_rss for r in runs) / 1e6))
    return results


def render_scaling(results: list[tuple[float, float, float]]) -> str:
    """One line per size: ms, and ms per megapixel beyond the smallest photo's run (which is
    mostly process start-up): constant when time grows linearly with pixels, falling when less."""
    base_mp, base, _ = results[0]
    lines = ["| megapixels | ms | ms per MP above the smallest | peak MB |", "| ---: | ---: | ---: | ---: |"]
    for megapixels, seconds, peak in results:
        per = "-" if megapixels == base_mp else f"{(seconds - base) * 1000 / (megapixels - base_mp):.1f}"
        lines.append(f"| {megapixels:.2f} | {seconds * 1000:.0f} | {per} | {peak:.0f} |")
    return "\n".join(lines)


def fmt(value: float, digits: int) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def render_table(rows: list[Row]) -> str:
    baseline = {r.workers: r.rate for r in rows if r.tool.slug == "tuneprep"}
    header = ["tool", "workers", "done", "wall s", "best s", "CPU s", "images/s", "TunePrep x", "peak MB",
              "peak MB, largest", "mean KB", "mean SSIM", "not upright", "metadata left"]
    lines = []
    for r in rows:
        median = r.median
        ratio = baseline.get(r.workers, float("nan")) / r.rate if median else float("nan")
        lines.append([
            r.tool.name + (" *" if r.tool.jpeg_only else ""), str(r.workers),
            f"{len(r.outputs)}/{len(r.inputs)}" if median else "skipped",
            fmt(median.wall if median else float("nan"), 2),
            fmt(min(m.wall for m in r.runs) if r.runs else float("nan"), 2),
            fmt(statistics.median(m.cpu for m in r.runs) if r.runs else float("nan"), 2),
            fmt(r.rate, 2), fmt(ratio, 2), fmt(r.peak_mb, 0), fmt(r.largest_peak_mb, 0), fmt(r.mean_kb, 0),
            fmt(r.ssim, 4), "-" if r.mismatches is None else str(r.mismatches),
            "-" if r.with_metadata is None else str(r.with_metadata),
        ])
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    separator = "| " + " | ".join("-" * w if i == 0 else "-" * (w - 1) + ":" for i, w in enumerate(widths)) + " |"
    notes = []
    for r in rows:
        if r.tool.jpeg_only and r.workers == rows[0].workers:
            notes.append(f"* JPEG inputs only ({len(r.inputs)} photos), decoded at the smallest sufficient M/8 "
                         "scale and encoded as is: no resize, no orientation, so no SSIM")
        if r.skipped and r.workers == rows[0].workers:
            notes.append(f"{r.tool.name} skipped: {r.skipped}")
    return "\n".join([render(header), separator, *(render(line) for line in lines), *([""] + notes if notes else [])])


def score_quality(rows: list[Row], photos: list[Photo], per_file: dict[str, dict[str, float]]) -> None:
    """SSIM, orientation and metadata of each scored tool's last outputs, in 2 processes; each
    output's SSIM also goes into per_file[tool][source file name]."""
    chosen: dict[str, Row] = {}
    for row in rows:
        if row.tool.scored and row.outputs:
            chosen[row.tool.name] = row  # the last worker count: the same files as the others
    jobs: dict[str, list[tuple[str, str]]] = {}
    by_name = {p.path.name: p for p in photos}
    for name, row in chosen.items():
        for source_name, output in row.outputs.items():
            jobs.setdefault(str(by_name[source_name].path), []).append((name, str(output)))
    print(f"Scoring {sum(len(v) for v in jobs.values())} outputs against the float Lanczos reference...", flush=True)
    per_tool: dict[str, list[tuple[float, bool, bool]]] = {}
    ordered = sorted(jobs.items(), key=lambda j: -os.path.getsize(j[0]))
    with ProcessPoolExecutor(2) as pool:
        for (source, _), results in zip(ordered, pool.map(score_source, ordered)):
            for name, score, is_upright, has_metadata in results:
                per_tool.setdefault(name, []).append((score, is_upright, has_metadata))
                per_file.setdefault(name, {})[Path(source).name] = score
    for row in rows:
        if row.tool.name in per_tool:
            values = per_tool[row.tool.name]
            row.ssim = statistics.mean(v[0] for v in values)
            row.mismatches = sum(not v[1] for v in values)
            row.with_metadata = sum(v[2] for v in values)


def worst_against(per_file: dict[str, dict[str, float]], subject: str, baseline: str, tolerance: float) -> str:
    """The file where `subject`'s SSIM falls furthest under `baseline`'s, and the files more than
    `tolerance` under it."""
    if subject not in per_file or baseline not in per_file:
        return f"(no per-file comparison: {baseline} was not scored)"
    common = sorted(set(per_file[subject]) & set(per_file[baseline]))
    gaps = sorted((per_file[subject][n] - per_file[baseline][n], n) for n in common)
    if not gaps:
        return "(no file scored by both)"
    gap, name = gaps[0]
    below = [(g, n) for g, n in gaps if g < -tolerance]
    mean_subject = statistics.mean(per_file[subject][n] for n in common)
    mean_baseline = statistics.mean(per_file[baseline][n] for n in common)
    return (f"Per file, {subject} against {baseline} on {len(common)} photos: worst {name} "
            f"({per_file[subject][name]:.4f} against {per_file[baseline][name]:.4f}, {gap:+.4f}); "
            f"{len(below)} file(s) more than {tolerance} under"
            + (": " + ", ".join(f"{n} ({g:+.4f})" for g, n in below) if below else "")
            + f"; mean {mean_subject:.4f} against {mean_baseline:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuneprep", type=Path, default=REPO / ".build-bench/release/tuneprep",
                        help="the tuneprep binary under test (default: %(default)s)")
    parser.add_argument("--scratch", type=Path, default=REPO / ".bench", help="scratch folder (default: %(default)s)")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared/corpus",
                        help="the shared corpus, used when present (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="a third of the corpus and one round")
    parser.add_argument("--repeat", type=int, help="rounds of timed runs, interleaved across the tools; "
                        "each row keeps its median (default: 3, or 1 with --quick)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure (default: %(default)s)")
    parser.add_argument("--tools", default="", help="only these peers, e.g. pillow,vips4 (of pillow, vips4, "
                        "vips1, magick, floor); TunePrep always runs")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if not args.tuneprep.is_file():
        sys.exit(f"{args.tuneprep} is missing: build it with benchmarks/run.sh or "
                 "`swift build -c release --product tuneprep --scratch-path .build-bench`")
    if shutil.which("/usr/bin/time") is None:
        sys.exit("GNU time (/usr/bin/time) is missing: `apt-get install time`, or run benchmarks/run.sh")
    rounds = args.repeat or (1 if args.quick else 3)
    scratch = args.scratch.resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    worker_counts = [int(w) for w in args.workers.split(",")]
    tuneprep = args.tuneprep.resolve()

    photos = build_corpus(scratch, args.shared, args.quick)
    print_corpus_summary(photos)
    largest = max(photos, key=lambda p: p.megapixels)
    largest_dir = scratch / "largest"
    shutil.rmtree(largest_dir, ignore_errors=True)
    largest_dir.mkdir()
    largest_photo = Photo(largest_dir / largest.path.name, largest.width, largest.height, largest.bytes,
                          largest.orientation)
    shutil.copyfile(largest.path, largest_photo.path)

    tools = make_tools(tuneprep)
    if args.tools:
        wanted = {t.strip() for t in args.tools.split(",")} | {"tuneprep"}
        tools = [t for t in tools if t.slug in wanted]
    rows = [Row(tool, workers, [p for p in photos if p.is_jpeg] if tool.jpeg_only else photos)
            for tool in tools for workers in worker_counts]
    for row in rows:
        row.skipped = tool_available(row.tool) or ""
    for path in (photo.path for photo in photos):  # warm the page cache before the first timed run
        path.read_bytes()

    load_before = os.getloadavg()[0]
    # Peak memory on the largest photo alone, one worker.
    for tool in tools:
        if tool_available(tool) is None and (largest_photo.is_jpeg or not tool.jpeg_only):
            measurement = run_once(tool, 1, [largest_photo], scratch / "out-largest")
            for row in rows:
                if row.tool is tool:
                    row.largest_peak_mb = measurement.peak_rss / 1e6
    # Rounds of every tool and worker count in turn, so a burst of other work on the machine
    # falls on all of them alike rather than on one.
    for round_number in range(1, rounds + 1):
        for row in rows:
            if row.skipped:
                continue
            out_dir = scratch / "out" / f"{row.tool.slug}-{row.workers}"
            measurement = run_once(row.tool, row.workers, row.inputs, out_dir)
            row.runs.append(measurement)
            row.outputs = collect_outputs(row.tool, out_dir, row.inputs)
            print(f"round {round_number}/{rounds}: {row.tool.name}, {row.workers} worker(s): "
                  f"{len(row.outputs)}/{len(row.inputs)} in {measurement.wall:.2f} s "
                  f"(CPU {measurement.cpu:.2f} s), peak {measurement.peak_rss / 1e6:.0f} MB", flush=True)
    load_after = os.getloadavg()[0]

    per_file: dict[str, dict[str, float]] = {}
    score_quality(rows, photos, per_file)
    seconds, how = startup_time(tuneprep, scratch)
    scaling = pixel_scaling(tuneprep, scratch, largest.path, rounds)

    print()
    print(f"Prepare: {len(photos)} photos, {sum(p.megapixels for p in photos):.1f} MP; wall s, CPU s "
          f"(user + system) and images/s are the median of {rounds} round(s), best s the fastest; "
          "TunePrep x is TunePrep's images/s over the row's; peak MB the highest")
    print(render_table(rows))
    print(worst_against(per_file, "TunePrep", "vipsthumbnail, 4 per process", 0.003))
    print()
    print(f"tuneprep --help start-up: {seconds * 1000:.1f} ms median ({how})")
    print()
    print(f"Time against pixels: TunePrep preparing one photo ({largest.path.name} resampled to each "
          "size, baseline JPEG, one worker), fastest wall time of 5 runs:")
    print(render_scaling(scaling))
    print()
    print(f"Machine: {os.cpu_count()} cores; load average {load_before:.1f} before the timed runs, "
          f"{load_after:.1f} after (other work on the machine slows every tool and adds noise)")
    if args.json:
        args.json.write_text(json.dumps(without_nan({
            "photos": len(photos),
            "megapixels": sum(p.megapixels for p in photos),
            "rounds": rounds,
            "startup_seconds": seconds,
            "ssim_per_file": per_file,
            "scaling": [{"megapixels": mp, "seconds": seconds, "peak_mb": peak} for mp, seconds, peak in scaling],
            "rows": [{
                "tool": r.tool.name, "workers": r.workers, "inputs": len(r.inputs), "outputs": len(r.outputs),
                "wall": [m.wall for m in r.runs], "cpu": [m.cpu for m in r.runs], "images_per_s": r.rate,
                "peak_mb": r.peak_mb, "largest_peak_mb": r.largest_peak_mb, "mean_kb": r.mean_kb,
                "ssim": r.ssim, "not_upright": r.mismatches, "metadata_left": r.with_metadata,
                "skipped": r.skipped,
            } for r in rows],
        }), indent=2))


def without_nan(value):
    """NaN (not measured) as null, for strict JSON readers."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nan(v) for v in value]
    return value


if __name__ == "__main__":
    main()
