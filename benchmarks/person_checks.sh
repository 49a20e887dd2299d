#!/usr/bin/env bash
# What the person checks cost: `tuneprep prepare` on a folder, 2 workers, in three modes, each run
# --repeat times interleaved (median wall time and peak RSS from GNU time):
#   off       --no-person-checks
#   detect    person checks with no identity models (--models on an empty folder): detection only
#   full      person checks with the identity models (the default)
# It prints images/s, the cost per photo of detection (detect - off) and of the identity
# descriptor (full - detect, per photo with a face), and the peak memory of each mode.
#   bash benchmarks/person_checks.sh [--repeat N] [--workers N] [FOLDER...]
# Default folders: .bench/corpus (made by benchmarks/run.sh) and the packaged photos of people
# (scripts/install-test-photos.sh). Needs a release build in .build-bench (run.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=5 workers=2 folders=()
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) repeat="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        *) folders+=("$1"); shift ;;
    esac
done
tuneprep=.build-bench/release/tuneprep
[ -x "$tuneprep" ] || { echo "build first: swift build -c release --product tuneprep --scratch-path .build-bench" >&2; exit 2; }
if [ ${#folders[@]} -eq 0 ]; then
    [ -d .bench/corpus ] && folders+=(.bench/corpus)
    people="${TUNEPREP_TEST_PHOTOS:-$HOME/.cache/tuneprep/test-photos}/face_recognition"
    [ -d "$people" ] && folders+=("$people")
fi
[ ${#folders[@]} -gt 0 ] || { echo "no folder to measure (run benchmarks/run.sh or scripts/install-test-photos.sh)" >&2; exit 2; }
empty=$(mktemp -d); out=$(mktemp -d)
trap 'rm -rf "$empty" "$out"' EXIT

run() {  # mode folder -> "seconds peak_kb"
    local mode=$1 folder=$2 extra=()
    case "$mode" in
        off) extra=(--no-person-checks) ;;
        detect) extra=(--models "$empty") ;;
        full) extra=() ;;
    esac
    /usr/bin/time -f "%e %M" -o "$out/time" "$tuneprep" prepare "$folder" --out "$out/set" --force --quiet \
        --workers "$workers" --min-side 64 --min-images 0 "${extra[@]}" >/dev/null 2>&1 || true
    # GNU time puts "Command exited with non-zero status" first when the set is unusable.
    tail -n 1 "$out/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-28s %6s %6s %9s %9s %9s %8s %8s %8s %11s %11s\n' folder photos faces "off img/s" "det img/s" "full img/s" "off MB" "det MB" "full MB" "detect ms" "identity ms"
for folder in "${folders[@]}"; do
    photos=$(find -L "$folder" -type f ! -name '.*' | wc -l)
    declare -A secs=() peaks=()
    for mode in off detect full; do secs[$mode]=""; peaks[$mode]=""; done
    for _ in $(seq "$repeat"); do
        for mode in off detect full; do
            read -r s k < <(run "$mode" "$folder")
            secs[$mode]+="$s"$'\n'; peaks[$mode]+="$k"$'\n'
        done
    done
    # Photos with a face: from the full run's manifest.
    "$tuneprep" check "$folder" --json --quiet --workers "$workers" --min-side 64 --min-images 0 > "$out/m.json" 2>/dev/null || true
    faces=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(sum(1 for i in m["images"] if (i.get("person") or {}).get("faces")))' "$out/m.json")
    declare -A med=() mb=()
    for mode in off detect full; do
        med[$mode]=$(printf '%s' "${secs[$mode]}" | median)
        mb[$mode]=$(printf '%s' "${peaks[$mode]}" | median | awk '{printf "%.0f", $1/1024}')
    done
    python3 - "$folder" "$photos" "$faces" "$workers" "${med[off]}" "${med[detect]}" "${med[full]}" "${mb[off]}" "${mb[detect]}" "${mb[full]}" <<'PY'
import sys
folder, photos, faces, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
off, det, full = map(float, sys.argv[5:8])
mbs = sys.argv[8:11]
rate = lambda s: photos / s if s > 0 else 0
# CPU cost per photo: the wall-time difference times the workers that shared it.
detect_ms = (det - off) * workers * 1000 / max(1, photos)
ident_ms = (full - det) * workers * 1000 / max(1, faces)
print(f"{folder[-28:]:<28} {photos:>6} {faces:>6} {rate(off):>9.1f} {rate(det):>9.1f} {rate(full):>10.1f} {mbs[0]:>8} {mbs[1]:>8} {mbs[2]:>8} {detect_ms:>11.0f} {ident_ms:>11.0f}")
PY
done
echo "(medians of $repeat interleaved runs, $workers workers; 'detect ms' and 'identity ms' are CPU ms per photo / per photo with a face, from wall-time differences x workers)"
