#!/usr/bin/env python3
"""Quality sweep: per-file luma SSIM of TunePrep and each peer at every reduction from 1x to 4x.

Takes detailed photographs from Debian packages (`apt-get download` + `dpkg-deb -x`, into .bench;
nothing is committed), re-saves each at long sides from 2100 to 8200 px as a baseline JPEG
(quality 95, 4:2:0, as phones write them), prepares them all with TunePrep, vipsthumbnail, Pillow
(draft + LANCZOS) and ImageMagick at 2048 px and quality 92 with 4:4:4 chroma (TunePrep's and
libvips's own choice at quality 92), and scores every output by luma SSIM against a float Lanczos
resize of the full-resolution file (the same reference and SSIM as prepare_bench.py). Prints the
per-file table, a summary by reduction, and the worst file against libvips.

Run it through benchmarks/run.sh (which installs the tools and builds TunePrep), or alone:
`python3 benchmarks/quality_sweep.py --help`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prepare_bench as bench  # noqa: E402  (same folder: the reference, SSIM and measuring code)

MAX_SIDE = bench.MAX_SIDE
QUALITY = bench.QUALITY
# Re-saved long sides: every reduction from 1.03x to 4.0x in steps of about 0.15x, so each M/8
# boundary of a DCT-scaled decode (and each candidate rule's) is crossed.
LONG_SIDES = tuple(range(2100, 8101, 300)) + (8200,)
RESAVE_QUALITY = 95
# (Debian package, file inside it, short name): photographs with fine texture. Painted canvas,
# tree bark and feathers, a starry sky over water, a wooden wall, foliage, a ladybird on a leaf.
SOURCES = [
    ("mate-backgrounds", "usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg", "canvas"),
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg", "bark"),
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg", "stars"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Wood.jpg", "wood"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Garden.jpg", "garden"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/LadyBird.jpg", "ladybird"),
]
# Generation parameters: the sweep folder is rebuilt when they change.
STAMP = json.dumps({"sides": LONG_SIDES, "quality": RESAVE_QUALITY, "sources": SOURCES, "version": 1})


@dataclass
class SweepFile:
    path: Path
    source: str  # short name of the photograph
    long_side: int
    mode: str  # "original", "downscaled" or "mirrored" (see build_sweep)

    @property
    def reduction(self) -> float:
        return self.long_side / MAX_SIDE


def unpack(package: str, scratch: Path) -> Path | None:
    """Unpacks a Debian package into scratch/debs/PACKAGE (once); returns the folder or None."""
    root = scratch / "debs" / package
    if (root / ".done").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    try:
        bench.run_quiet(["apt-get", "download", package], cwd=root)
        deb = next(root.glob(f"{package}_*.deb"))
        bench.run_quiet(["dpkg-deb", "-x", str(deb), str(root)])
        deb.unlink()
    except (subprocess.CalledProcessError, StopIteration, FileNotFoundError) as error:
        print(f"warning: could not unpack {package} ({error}); its photos are left out", file=sys.stderr)
        return None
    (root / ".done").touch()
    return root


def resave(job: tuple[str, str, int, str]) -> str:
    """Writes one sweep file: the photo at `long_side`, as a baseline JPEG.

    Below the photo's own size it is downscaled (Pillow LANCZOS); above it, it is extended by
    mirroring its edges (numpy's symmetric padding) rather than upscaled, so every pixel keeps the
    photo's own fine detail: an upscaled photo holds no detail near the new pixel pitch and would
    flatter a coarse decode.
    """
    source, target, long_side, mode = job
    with Image.open(source) as image:
        image = image.convert("RGB")
        scale = long_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        if mode == "downscaled":
            image = image.resize(size, Image.Resampling.LANCZOS)
        elif mode == "mirrored":
            pixels = np.asarray(image)
            extra_h, extra_w = size[1] - image.height, size[0] - image.width
            pixels = np.pad(pixels, ((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0)),
                            mode="symmetric")
            image = Image.fromarray(pixels)
        image.save(target, "JPEG", quality=RESAVE_QUALITY, subsampling="4:2:0", progressive=False)
    return target


def build_sweep(scratch: Path) -> list[SweepFile]:
    folder = scratch / "sweep" / "photos"
    stamp = scratch / "sweep" / "stamp.json"
    plan: list[tuple[SweepFile, str]] = []
    for package, relative, name in SOURCES:
        root = unpack(package, scratch)
        if root is None or not (root / relative).is_file():
            continue
        source = root / relative
        with Image.open(source) as image:
            native = max(image.size)
        plan.append((SweepFile(folder / f"{name}-original-{native}.jpg", name, native, "original"), str(source)))
        for side in LONG_SIDES:
            mode = "downscaled" if side < native else "mirrored"
            if side != native:
                plan.append((SweepFile(folder / f"{name}-{side}.jpg", name, side, mode), str(source)))
    if stamp.is_file() and stamp.read_text() == STAMP and all(f.path.is_file() for f, _ in plan):
        return [f for f, _ in plan]
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"Writing {len(plan)} sweep photos into {folder}...", flush=True)
    for sweep_file, source in plan:
        if sweep_file.mode == "original":
            shutil.copyfile(source, sweep_file.path)
    jobs = [(source, str(f.path), f.long_side, f.mode) for f, source in plan if f.mode != "original"]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(resave, jobs))
    stamp.write_text(STAMP)
    return [f for f, _ in plan]


# ---------------------------------------------------------------------------------------------
# The tools, at 4:4:4 chroma (TunePrep's and libvips's choice at quality 92)


@dataclass
class SweepTool:
    name: str
    # Runs the tool over the sweep folder into out_dir; returns {source file name: output path}.
    run: Callable[[Path, Path, list[SweepFile]], dict[str, Path]]
    needs: tuple[str, ...] = ()


def tuneprep_tool(binary: Path, name: str = "TunePrep", env: dict[str, str] | None = None) -> SweepTool:
    def run(folder: Path, out_dir: Path, files: list[SweepFile]) -> dict[str, Path]:
        shutil.rmtree(out_dir, ignore_errors=True)
        command = [str(binary), "prepare", str(folder), "--out", str(out_dir), "--force", "--quiet", "--no-person-checks",
                   "--max-images", "100000", "--min-images", "0", "--min-side", "1", "--max-bytes", "100000000",
                   "--max-side", str(MAX_SIDE), "--quality", str(QUALITY), "--chroma", "444", "--workers", "2"]
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        return bench.tuneprep_outputs(out_dir) if (out_dir / "manifest.json").is_file() else {}
    return SweepTool(name, run)


def per_file_tool(name: str, script: str, needs: tuple[str, ...]) -> SweepTool:
    """A peer run once per photo, two at a time (xargs -P 2): in `script`, "$1" is the photo,
    "$out" its output file and {out_dir} the output folder."""
    single = {"VIPS_CONCURRENCY": "1", "OMP_NUM_THREADS": "1", "MAGICK_THREAD_LIMIT": "1"}

    def run(folder: Path, out_dir: Path, files: list[SweepFile]) -> dict[str, Path]:
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        listing = out_dir / ".list"
        listing.write_text("".join(f"{f.path}\n" for f in files))
        wrapper = f'out="{out_dir}/$(basename "${{1%.*}}").jpg"; ' + script.replace("{out_dir}", str(out_dir))
        subprocess.run(["xargs", "-a", str(listing), "-d", "\n", "-P", "2", "-n", "1", "sh", "-c", wrapper, "sh"],
                       check=False, env={**os.environ, **single}, stderr=subprocess.DEVNULL)
        return {f.path.name: out_dir / (f.path.stem + ".jpg") for f in files if (out_dir / (f.path.stem + ".jpg")).is_file()}
    return SweepTool(name, run, needs)


def pillow_tool() -> SweepTool:
    script = Path(__file__).resolve().parent / "pillow_prepare.py"

    def run(folder: Path, out_dir: Path, files: list[SweepFile]) -> dict[str, Path]:
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        subprocess.run([sys.executable, str(script), "--subsampling", "4:4:4", "2", str(out_dir),
                        *[str(f.path) for f in files]], check=False)
        return {f.path.name: out_dir / (f.path.stem + ".jpg") for f in files if (out_dir / (f.path.stem + ".jpg")).is_file()}
    return SweepTool("Pillow draft+LANCZOS", run)


def peer_tools() -> list[SweepTool]:
    vips = per_file_tool(
        "vipsthumbnail",
        f'exec vipsthumbnail --size "{MAX_SIDE}x{MAX_SIDE}>" '
        f'-o "{{out_dir}}/%s.jpg[Q={QUALITY},strip,subsample_mode=off]" "$1"', ("vipsthumbnail",))
    magick = per_file_tool(
        "ImageMagick",
        f'exec /usr/bin/convert "$1" -auto-orient -resize "{MAX_SIDE}x{MAX_SIDE}>" -strip -quality {QUALITY} '
        '-sampling-factor 4:4:4 "$out"', ("/usr/bin/convert",))
    return [vips, pillow_tool(), magick]


# ---------------------------------------------------------------------------------------------
# Scoring, with the references kept on disk (they depend only on the sweep photo and output size)


def score_file(job: tuple[str, str, list[tuple[str, str]]]) -> list[tuple[str, float]]:
    """(tool, SSIM) for each output of one sweep photo."""
    source_path, cache_dir, outputs = job
    source = None
    results = []
    for tool, output_path in outputs:
        with Image.open(output_path) as output_image:
            output = bench.luma(np.asarray(output_image.convert("RGB"), dtype=np.float32))
        size = (output.shape[1], output.shape[0])
        cached = Path(cache_dir) / f"{Path(source_path).stem}-{size[0]}x{size[1]}.npy"
        if cached.is_file():
            reference = np.load(cached)
        else:
            if source is None:
                source = bench.oriented_source(Path(source_path))
            reference = bench.reference_luma(source, size).astype(np.float32)
            np.save(cached, reference)
        results.append((tool, bench.ssim(output, reference)))
    return results


def score(files: list[SweepFile], outputs: dict[str, dict[str, Path]], cache_dir: Path) -> dict[str, dict[str, float]]:
    """{tool: {sweep file name: SSIM}}."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for f in sorted(files, key=lambda f: -f.long_side):
        pairs = [(tool, str(paths[f.path.name])) for tool, paths in outputs.items() if f.path.name in paths]
        jobs.append((str(f.path), str(cache_dir), pairs))
    scores: dict[str, dict[str, float]] = {tool: {} for tool in outputs}
    with ProcessPoolExecutor(2) as pool:
        for job, results in zip(jobs, pool.map(score_file, jobs)):
            for tool, value in results:
                scores[tool][Path(job[0]).name] = value
    return scores


# ---------------------------------------------------------------------------------------------
# Tables


def markdown(header: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]
    render = lambda cells: "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    separator = "| " + " | ".join("-" * w if i == 0 else "-" * (w - 1) + ":" for i, w in enumerate(widths)) + " |"
    return "\n".join([render(header), separator, *(render(line) for line in lines)])


def fmt(value: float | None, digits: int = 4, sign: bool = False) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


REDUCTION_BANDS = [(1.0, 1.25), (1.25, 1.5), (1.5, 2.0), (2.0, 2.5), (2.5, 3.0), (3.0, 3.5), (3.5, 4.5)]


def report(files: list[SweepFile], scores: dict[str, dict[str, float]], subject: str, baseline: str,
           tolerance: float) -> tuple[str, dict]:
    """The per-file table, the summary by reduction and the verdict for `subject` against `baseline`."""
    tools = list(scores)
    ordered = sorted(files, key=lambda f: (f.source, f.long_side))
    header = ["file", "long side", "reduction", *tools, f"{subject} - {baseline}"]
    lines = []
    for f in ordered:
        values = [scores[t].get(f.path.name) for t in tools]
        a, b = scores[subject].get(f.path.name), scores.get(baseline, {}).get(f.path.name)
        lines.append([f.path.name, str(f.long_side), f"{f.reduction:.2f}", *(fmt(v) for v in values),
                      fmt(a - b if a is not None and b is not None else None, sign=True)])
    per_file = markdown(header, lines)

    band_lines = []
    for low, high in REDUCTION_BANDS:
        band = [f for f in files if low <= f.reduction < high]
        if not band:
            continue
        means = [statistics.mean(scores[t][f.path.name] for f in band if f.path.name in scores[t]) if any(
            f.path.name in scores[t] for f in band) else float("nan") for t in tools]
        gaps = [(scores[subject][f.path.name] - scores[baseline][f.path.name], f.path.name) for f in band
                if f.path.name in scores[subject] and f.path.name in scores.get(baseline, {})]
        worst = min(gaps) if gaps else (float("nan"), "-")
        band_lines.append([f"{low:.2f}-{high:.2f}x", str(len(band)), *(fmt(m) for m in means),
                           f"{fmt(worst[0], sign=True)} ({worst[1]})"])
    by_band = markdown(["reduction", "files", *[f"mean {t}" for t in tools], f"worst {subject} - {baseline}"], band_lines)

    common = [f.path.name for f in files if f.path.name in scores[subject] and f.path.name in scores.get(baseline, {})]
    gaps = sorted((scores[subject][n] - scores[baseline][n], n) for n in common)
    means = {t: statistics.mean(scores[t].values()) if scores[t] else float("nan") for t in tools}
    means_common = {t: statistics.mean(scores[t][n] for n in common if n in scores[t]) for t in (subject, baseline)} if common else {}
    below = [(gap, name) for gap, name in gaps if gap < -tolerance]
    summary = {
        "files": len(files),
        "scored": {t: len(scores[t]) for t in tools},
        "mean": means,
        "worst_against_baseline": {"file": gaps[0][1], "difference": gaps[0][0]} if gaps else None,
        "below_tolerance": [{"file": n, "difference": g} for g, n in below],
        "mean_met": bool(common) and means_common[subject] >= means_common[baseline],
        "per_file_met": bool(common) and not below,
    }
    lines = [
        per_file, "", by_band, "",
        "Mean SSIM: " + ", ".join(f"{t} {fmt(means[t])} ({len(scores[t])} files)" for t in tools),
    ]
    if gaps:
        lines.append(f"Worst file against {baseline}: {gaps[0][1]}, {subject} {fmt(scores[subject][gaps[0][1]])} against "
                     f"{fmt(scores[baseline][gaps[0][1]])} ({fmt(gaps[0][0], sign=True)})")
        lines.append(f"Target, every file at least {baseline} - {tolerance}: "
                     + ("met" if not below else f"NOT met on {len(below)} file(s): "
                        + ", ".join(f"{n} ({fmt(g, sign=True)})" for g, n in below)))
        lines.append(f"Target, mean at least {baseline}'s: {fmt(means_common[subject])} against "
                     f"{fmt(means_common[baseline])}: " + ("met" if summary["mean_met"] else "NOT met"))
    return "\n".join(lines), summary


def select(files: list[SweepFile], sides: str | None, photos: str | None) -> list[SweepFile]:
    if sides:
        wanted = {int(side) for side in sides.split(",")}
        files = [f for f in files if f.mode == "original" or f.long_side in wanted]
    if photos:
        names = {name.strip() for name in photos.split(",")}
        files = [f for f in files if f.source in names]
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuneprep", type=Path, default=bench.REPO / ".build-bench/release/tuneprep",
                        help="the tuneprep binary under test (default: %(default)s)")
    parser.add_argument("--scratch", type=Path, default=bench.REPO / ".bench", help="scratch folder (default: %(default)s)")
    parser.add_argument("--peers", default="vipsthumbnail,Pillow draft+LANCZOS,ImageMagick",
                        help="peers to run, by name (default: %(default)s)")
    parser.add_argument("--tolerance", type=float, default=0.003,
                        help="how far under libvips one file may score (default: %(default)s)")
    parser.add_argument("--sides", help="score only these long sides, e.g. 2400,4500,8100 (and the "
                        "packaged originals): a smaller sweep for a busy machine (default: all)")
    parser.add_argument("--photos", help="only these photographs, e.g. canvas,bark (default: all)")
    parser.add_argument("--json", type=Path, help="also write every score as JSON here")
    args = parser.parse_args()
    if not args.tuneprep.is_file():
        sys.exit(f"{args.tuneprep} is missing: build it with benchmarks/run.sh")
    scratch = args.scratch.resolve()
    files = select(build_sweep(scratch), args.sides, args.photos)
    if not files:
        sys.exit("no sweep photos: the Debian packages could not be downloaded")
    folder = files[0].path.parent
    wanted = [name.strip() for name in args.peers.split(",") if name.strip()]
    tools = [tuneprep_tool(args.tuneprep.resolve())] + [t for t in peer_tools() if t.name in wanted]
    sources = sorted({f.source for f in files})
    print(f"Quality sweep: {len(files)} photos ({len(sources)} photographs: {', '.join(sources)}), long sides "
          f"{min(f.long_side for f in files)}-{max(f.long_side for f in files)} px, reductions "
          f"{min(f.reduction for f in files):.2f}x-{max(f.reduction for f in files):.2f}x to {MAX_SIDE} px", flush=True)
    outputs: dict[str, dict[str, Path]] = {}
    for tool in tools:
        missing = [p for p in tool.needs if shutil.which(p) is None]
        if missing:
            print(f"  {tool.name} skipped: {', '.join(missing)} not installed")
            continue
        outputs[tool.name] = tool.run(folder, scratch / "sweep" / "out" / tool.name.split()[0].lower(), files)
        print(f"  {tool.name}: {len(outputs[tool.name])}/{len(files)} prepared", flush=True)
    print("Scoring against the float Lanczos reference (cached in .bench/sweep/reference)...", flush=True)
    scores = score(files, outputs, scratch / "sweep" / "reference")
    text, summary = report(files, scores, "TunePrep", "vipsthumbnail", args.tolerance)
    print()
    print(f"Luma SSIM against a float Lanczos resize of each full-resolution file; {MAX_SIDE} px, quality "
          f"{QUALITY}, 4:4:4; re-saved at quality {RESAVE_QUALITY} 4:2:0; above a photo's own size it is "
          "extended by mirroring, not upscaled ('original' is the file as packaged)")
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "scores": scores}, indent=2))


if __name__ == "__main__":
    main()
