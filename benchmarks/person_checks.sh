#!/usr/bin/env bash
# What the person checks cost: `tuneprep prepare` on a folder, 2 workers, in three modes, each run
# --repeat times interleaved (median wall time and peak RSS from GNU time):
#   off       --no-person-checks
#   detect    person checks with the face detector's model only (--models on a folder holding just
#             centerface.onnx): detection without the identity models
#   full      person checks with every model installed (the default): the identity models, and
#             the body pose network on photos whose framing the face alone cannot tell
#   pillow    Pillow's draft pipeline (benchmarks/pillow_prepare.py, no person checks at all), the
#             peer the person checks' speed is held to
# It prints images/s, the CPU cost per photo of detection (detect - off) and of the identity
# descriptor and pose network (full - detect, per photo with a face), and the peak memory of each mode.
#   bash benchmarks/person_checks.sh [--repeat N] [--workers N] [FOLDER...]
# Default folders: .bench/corpus (made by benchmarks/run.sh), the packaged photos of people
# (scripts/install-test-photos.sh), and both in one set. Needs a release build in .build-bench (run.sh makes it).
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
empty=$(mktemp -d); out=$(mktemp -d)
# The detector alone: the CNN's model, not the identity models (an empty folder would measure the
# HOG fallback instead).
models="${TUNEPREP_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/tuneprep/models}"
[ -f "$models/centerface.onnx" ] && ln -s "$models/centerface.onnx" "$empty/centerface.onnx"
trap 'rm -rf "$empty" "$out"' EXIT
if [ ${#folders[@]} -eq 0 ]; then
    [ -d .bench/corpus ] && folders+=(.bench/corpus)
    people="${TUNEPREP_TEST_PHOTOS:-$HOME/.cache/tuneprep/test-photos}/face_recognition"
    [ -d "$people" ] && folders+=("$people")
    # Both in one set (links): photos of people among camera-sized photos, as a customer's upload
    # mixes them; here the models load while other photos are still being decoded.
    if [ -d .bench/corpus ] && [ -d "$people" ]; then
        mkdir -p "$out/corpus+people"
        for f in .bench/corpus/* "$people"/*.jpg "$people"/*.png; do [ -f "$f" ] && ln -s "$(realpath "$f")" "$out/corpus+people/"; done
        folders+=("$out/corpus+people")
    fi
fi
[ ${#folders[@]} -gt 0 ] || { echo "no folder to measure (run benchmarks/run.sh or scripts/install-test-photos.sh)" >&2; exit 2; }

run() {  # mode folder -> "seconds peak_kb cpu_seconds"
    local mode=$1 folder=$2 extra=()
    if [ "$mode" = pillow ]; then
        rm -rf "$out/pillow"; mkdir -p "$out/pillow"
        local files=()
        while IFS= read -r -d '' f; do files+=("$f"); done < <(find -L "$folder" -type f ! -name '.*' -print0 | sort -z)
        /usr/bin/time -f "%e %M %U %S" -o "$out/time" python3 benchmarks/pillow_prepare.py "$workers" "$out/pillow" "${files[@]}" \
            >/dev/null 2>&1 || true
        tail -n 1 "$out/time" | awk '{print $1, $2, $3 + $4}'
        return
    fi
    case "$mode" in
        off) extra=(--no-person-checks) ;;
        detect) extra=(--models "$empty") ;;
        full) extra=() ;;
    esac
    /usr/bin/time -f "%e %M %U %S" -o "$out/time" "$tuneprep" prepare "$folder" --out "$out/set" --force --quiet \
        --workers "$workers" --min-side 64 --min-images 0 "${extra[@]}" >/dev/null 2>&1 || true
    # GNU time puts "Command exited with non-zero status" first when the set is unusable.
    tail -n 1 "$out/time" | awk '{print $1, $2, $3 + $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

pillow=1
python3 -c 'import PIL' 2>/dev/null || { pillow=0; echo "(Pillow is absent: no Pillow column; benchmarks/run.sh installs it)"; }
modes=(off detect full); [ "$pillow" = 1 ] && modes+=(pillow)
printf '%-28s %6s %6s %9s %9s %10s %11s %7s %7s %7s %9s %9s %11s\n' folder photos faces "off img/s" "det img/s" "full img/s" "Pillow img/s" "off MB" "det MB" "full MB" "Pillow MB" "detect ms" "identity ms"
for folder in "${folders[@]}"; do
    photos=$(find -L "$folder" -type f ! -name '.*' | wc -l)
    declare -A secs=() peaks=() cpus=()
    for mode in off detect full pillow; do secs[$mode]=""; peaks[$mode]=""; cpus[$mode]=""; done
    for _ in $(seq "$repeat"); do
        for mode in "${modes[@]}"; do
            read -r s k c < <(run "$mode" "$folder")
            secs[$mode]+="$s"$'\n'; peaks[$mode]+="$k"$'\n'; cpus[$mode]+="$c"$'\n'
        done
    done
    # Photos with a face: from the full run's manifest.
    "$tuneprep" check "$folder" --json --quiet --workers "$workers" --min-side 64 --min-images 0 > "$out/m.json" 2>/dev/null || true
    faces=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(sum(1 for i in m["images"] if (i.get("person") or {}).get("faces")))' "$out/m.json")
    declare -A med=() mb=() cpu=()
    for mode in "${modes[@]}"; do
        med[$mode]=$(printf '%s' "${secs[$mode]}" | median)
        cpu[$mode]=$(printf '%s' "${cpus[$mode]}" | median)
        mb[$mode]=$(printf '%s' "${peaks[$mode]}" | median | awk '{printf "%.0f", $1/1024}')
    done
    python3 - "$folder" "$photos" "$faces" "${med[off]}" "${med[detect]}" "${med[full]}" "${med[pillow]:-0}" \
        "${mb[off]}" "${mb[detect]}" "${mb[full]}" "${mb[pillow]:--}" "${cpu[off]}" "${cpu[detect]}" "${cpu[full]}" <<'PY'
import sys
folder, photos, faces = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
off, det, full, pil = map(float, sys.argv[4:8])
mbs = sys.argv[8:12]
cpu_off, cpu_det, cpu_full = map(float, sys.argv[12:15])
rate = lambda s: f"{photos / s:.1f}" if s > 0 else "-"
# CPU cost per photo, from the runs' CPU time (user + system): detection over every photo, the
# identity descriptor over the photos with a face.
detect_ms = (cpu_det - cpu_off) * 1000 / max(1, photos)
ident_ms = f"{(cpu_full - cpu_det) * 1000 / faces:.0f}" if faces else "-"
print(f"{folder[-28:]:<28} {photos:>6} {faces:>6} {rate(off):>9} {rate(det):>9} {rate(full):>10} {rate(pil):>11} {mbs[0]:>7} {mbs[1]:>7} {mbs[2]:>7} {mbs[3]:>9} {detect_ms:>9.0f} {ident_ms:>11}")
PY
done
echo "(medians of $repeat interleaved runs, $workers workers; 'detect ms' and 'identity ms' are CPU ms (user + system) per photo / per photo with a face; peak MB is GNU time's maximum resident set, for Pillow its largest process)"
