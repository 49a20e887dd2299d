#!/usr/bin/env bash
# The prepare benchmark, from a fresh clone, in one command:
#   bash benchmarks/run.sh            # the whole corpus, 1 and 2 workers (about 10 minutes)
#   bash benchmarks/run.sh --quick    # a third of the corpus
# Installs the peers it compares with (Debian packages and PyPI only, when missing), builds
# tuneprep in release mode into .build-bench, runs benchmarks/prepare_bench.py (which takes
# --quick, --repeat N, --workers 1,2, --tools pillow,vips4,..., --json FILE; see its --help), then
# the quality sweep (benchmarks/quality_sweep.py: per-file SSIM at every reduction from 1x to 4x),
# then the upload benchmark (tuneprep-upload-bench) when the package has it.
# Its own flags: --no-install (use what is installed), --no-build (use .build-bench as it is),
# --no-sweep (skip the quality sweep), --sweep-only (only the quality sweep).
set -euo pipefail
cd "$(dirname "$0")/.."

install=1 build=1 sweep=1 others=1 args=() upload_args=()
for arg in "$@"; do
    case "$arg" in
        --quick) args+=("$arg"); upload_args=(--runs 3) ;;
        --no-install) install=0 ;;
        --no-build) build=0 ;;
        --no-sweep) sweep=0 ;;
        --sweep-only) others=0 ;;
        *) args+=("$arg") ;;
    esac
done

log() { printf '== %s\n' "$*" >&2; }

if [ "$install" = 1 ]; then
    # Build dependencies of TunePrep itself.
    [ -f scripts/install-deps.sh ] && bash scripts/install-deps.sh
    # The peers and measuring tools: vipsthumbnail, ImageMagick 6, exiftool, GNU time (peak RSS),
    # djpeg/cjpeg (the floor), hyperfine (start-up time).
    bash scripts/deps/apt-install.sh \
        <(printf '%s\n' libvips-tools imagemagick libimage-exiftool-perl time libjpeg-turbo-progs hyperfine)
    if ! python3 -c 'import PIL, numpy, scipy, psutil' 2>/dev/null; then
        log "installing Pillow, numpy, scipy, psutil from PyPI"
        python3 -m pip install -q --disable-pip-version-check Pillow numpy scipy psutil
    fi
fi

if [ "$build" = 1 ]; then
    log "building tuneprep (release) into .build-bench"
    swift build -c release --product tuneprep --scratch-path .build-bench 2>&1 | tail -n 3 >&2
fi

if [ "$others" = 1 ]; then
    log "prepare benchmark"
    python3 benchmarks/prepare_bench.py "${args[@]+"${args[@]}"}"
fi

if [ "$sweep" = 1 ]; then
    # Photos from Debian packages re-saved at long sides 2100-8200 px (written once into .bench/sweep).
    log "quality sweep"
    python3 benchmarks/quality_sweep.py
fi

[ "$others" = 1 ] || exit 0
# What the person checks cost (images/s and peak memory with and without them, per-check cost).
log "person checks benchmark"
bash benchmarks/person_checks.sh --repeat 3 || log "person checks benchmark failed"
# Odd entries beside the photos, and the mock server under floods (issue 13's targets).
log "hostile inputs"
bash benchmarks/hostile_inputs.sh || log "hostile inputs benchmark failed"

# The upload benchmark (AstriaClient beside the curl command line) lives in its own product; run it
# when this checkout has it.
if grep -q '"tuneprep-upload-bench"' Package.swift; then
    log "upload benchmark (swift run -c release tuneprep-upload-bench)"
    if [ "$build" = 1 ]; then
        swift build -c release --product tuneprep-upload-bench --scratch-path .build-bench 2>&1 | tail -n 1 >&2
    fi
    if [ -x .build-bench/release/tuneprep-upload-bench ]; then
        .build-bench/release/tuneprep-upload-bench "${upload_args[@]+"${upload_args[@]}"}"
    else
        log "upload benchmark: not built (--no-build); skipped"
    fi
else
    log "upload benchmark: no tuneprep-upload-bench product in this checkout; skipped"
fi
