#!/usr/bin/env bash
# The peer benchmark for the person checks: face_recognition (dlib HOG + descriptors) and OpenCV's
# Haar cascade, scored on the evaluation sets by benchmarks/person_accuracy's rules, then, given a
# TunePrep binary, TunePrep's own table from evaluate.py, one after the other. Never run in CI.
#   bash benchmarks/person_peers/run.sh [--no-install] [--tuneprep BIN] [-- PEERS.PY ARGS...]
# --no-install skips install.sh (the venv must be there already). Arguments after -- go to peers.py
# (e.g. -- --only placed identity/ --json /tmp/peers.json). The sets come from
# benchmarks/person_accuracy/make_sets.py (~/.cache/tuneprep/person-eval).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TUNEPREP_PEERS_VENV:-$HOME/.cache/tuneprep/peers-venv}"
install=1
tuneprep=""
peer_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-install) install=0; shift ;;
        --tuneprep) [ $# -ge 2 ] || { echo "run.sh: --tuneprep needs a binary" >&2; exit 2; }; tuneprep="$2"; shift 2 ;;
        --tuneprep=*) tuneprep="${1#--tuneprep=}"; shift ;;
        --) shift; peer_args=("$@"); break ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$install" -eq 0 ] || bash "$here/install.sh"
[ -x "$venv/bin/python" ] || { echo "run.sh: no venv at $venv: run without --no-install" >&2; exit 1; }
# Debian's numpy, Pillow and OpenCV, not whatever pip --user put in ~/.local for the same 3.11.
export PYTHONNOUSERSITE=1
"$venv/bin/python" "$here/peers.py" "${peer_args[@]}"
if [ -n "$tuneprep" ]; then
    echo
    # evaluate.py is standard library only: any python3 runs it.
    python3 "$root/benchmarks/person_accuracy/evaluate.py" --tuneprep "$tuneprep"
fi
