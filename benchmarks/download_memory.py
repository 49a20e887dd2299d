#!/usr/bin/env python3
"""Peak memory of `tuneprep prompts download` (issue 20's target: flat memory, and a second run
downloads nothing).

Against `tuneprep serve-mock`: 8 prompts x 8 pictures, each picture a distinct JPEG of about
3 MB (`--prompt-images`), so 64 pictures and about 190 MB go through the client. GNU time reports
each run's peak resident memory; the same for `prompts list` (the process without any picture)
is the floor. Prints one line per run and a summary line.

    python3 benchmarks/download_memory.py [--tuneprep PATH] [--mb 3] [--prompts 8] [--pictures 8]

Needs Pillow and numpy (made the JPEGs) and GNU time (`apt-get install time`); `benchmarks/run.sh`
installs both. Uses .build-bench/release/tuneprep when it exists (benchmarks/run.sh builds it),
else .build/release, else .build/debug: memory does not depend on the optimisation level much,
but say which one measured.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def pick_binary(explicit):
    if explicit:
        return explicit
    for path in (".build-bench/release/tuneprep", ".build/release/tuneprep", ".build/debug/tuneprep"):
        if os.access(path, os.X_OK):
            return path
    sys.exit("no tuneprep binary: build one (swift build -c release --product tuneprep)")


def make_jpegs(folder, count, megabytes):
    import numpy
    from PIL import Image

    rng = numpy.random.default_rng(20)
    # Noise compresses badly: about 1 byte a pixel at quality 92.
    pixels = int(megabytes * 1_000_000 / 1.0)
    width = int((pixels * 4 / 3) ** 0.5)
    height = pixels // width
    sizes = []
    for i in range(count):
        noise = rng.integers(0, 256, size=(height, width, 3), dtype=numpy.uint8)
        path = os.path.join(folder, f"{i:03d}.jpg")
        Image.fromarray(noise).save(path, quality=92)
        sizes.append(os.path.getsize(path))
    return sizes


def timed(binary, args, env):
    """Runs under GNU time; returns (exit code, peak RSS in kB, stdout, stderr)."""
    with tempfile.NamedTemporaryFile(mode="r") as report:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", report.name, binary] + args,
            env=env, capture_output=True, text=True)
        peak = int(report.read().strip().splitlines()[-1])
    return proc.returncode, peak, proc.stdout, proc.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tuneprep")
    parser.add_argument("--mb", type=float, default=3.0, help="size of each picture (MB)")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--pictures", type=int, default=8, help="pictures per prompt (1-8)")
    args = parser.parse_args()
    binary = os.path.abspath(pick_binary(args.tuneprep))
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("GNU time is missing: apt-get install time")

    work = tempfile.mkdtemp(prefix="tuneprep-download-bench-")
    server = None
    try:
        pictures = os.path.join(work, "pictures")
        os.makedirs(pictures)
        sizes = make_jpegs(pictures, args.prompts * args.pictures, args.mb)
        server = subprocess.Popen(
            [binary, "serve-mock", "--port", "0", "--fast-training-seconds", "0", "--prompt-seconds", "0",
             "--fast-prompt-seconds", "0", "--prompt-images", pictures],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = None
        deadline = time.time() + 60
        while time.time() < deadline and url is None:
            line = server.stdout.readline()
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                url = match.group(1)
        if url is None:
            sys.exit("serve-mock did not start")
        env = dict(os.environ, ASTRIA_API_KEY="sd_benchmark_key", ASTRIA_BASE_URL=url)
        run = lambda *a: subprocess.run([binary] + list(a), env=env, capture_output=True, text=True, check=True)
        submitted = run("submit", "--image-url", "https://example.com/a.jpg", "--name", "man", "--branch", "fast", "--json", "--wait")
        tune = next(json.loads(l)["tune_id"] for l in submitted.stdout.splitlines() if '"submitted"' in l)
        for i in range(args.prompts):
            run("prompts", "create", str(tune), "--text", f"ohwx man, headshot {i}", "--num-images", str(args.pictures), "--wait")

        out = os.path.join(work, "shots")
        code, floor, _, err = timed(binary, ["prompts", "list", str(tune)], env)
        print(f"prompts list (no picture):   peak RSS {floor / 1024:.1f} MB")
        code, first, stdout, err = timed(binary, ["prompts", "download", str(tune), "--out", out], env)
        if code != 0:
            sys.exit(f"download failed ({code}): {err}")
        saved = sorted(os.listdir(out))
        total = sum(os.path.getsize(os.path.join(out, n)) for n in saved)
        print(f"download, first run:         peak RSS {first / 1024:.1f} MB; {len(saved)} pictures, {total / 1e6:.1f} MB saved ({stdout.strip()})")
        before = {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in saved}
        code, second, stdout, err = timed(binary, ["prompts", "download", str(tune), "--out", out], env)
        unchanged = all(os.stat(os.path.join(out, n)).st_mtime_ns == t for n, t in before.items())
        print(f"download, second run:        peak RSS {second / 1024:.1f} MB; {stdout.strip()}; files untouched: {unchanged}")
        print(f"summary: {len(saved)} pictures of {min(sizes) / 1e6:.1f}-{max(sizes) / 1e6:.1f} MB ({total / 1e6:.0f} MB) took the peak "
              f"{(first - floor) / 1024:+.1f} MB above the process without pictures ({os.path.relpath(binary)})")
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
