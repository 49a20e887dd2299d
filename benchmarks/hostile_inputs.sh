#!/usr/bin/env bash
# Issue 13's measured targets, on the release build (.build-bench, made by benchmarks/run.sh):
#  1. `check` on a folder of photos plus a 3 GB video, a FIFO, a /dev/zero link and a dangling
#     link, against the photos alone: wall time, peak memory, and every odd entry named.
#  2. `serve-mock` under 4 concurrent 500 MB uploads: the server's peak memory (VmHWM).
#  3. `serve-mock` answering a body of 100,000 url-encoded fields, and of 100,000 multipart parts.
#   bash benchmarks/hostile_inputs.sh [--repeat N]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=3
[ "${1:-}" = --repeat ] && repeat=$2
tuneprep=.build-bench/release/tuneprep
[ -x "$tuneprep" ] || { echo "build first: swift build -c release --product tuneprep --scratch-path .build-bench" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

echo "== 1. odd entries beside the photos"
mkdir -p "$work/photos" "$work/odd"
cp samples/*/*.jpg "$work/photos/" 2>/dev/null || cp samples/*.jpg "$work/photos/"
cp "$work"/photos/* "$work/odd/"
# A 3 GB QuickTime file (sparse: the size is what matters, since a reader that does not stop at
# the prefix reads 3 GB of zeros), a FIFO nobody writes, a link to /dev/zero, a dangling link.
printf '\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ' > "$work/odd/IMG_0001.MOV"
truncate -s 3G "$work/odd/IMG_0001.MOV"
mkfifo "$work/odd/pipe.jpg"
ln -s /dev/zero "$work/odd/zero.jpg"
ln -s "$work/nowhere.jpg" "$work/odd/dangling.jpg"
measure() {  # folder -> "seconds peak_kb"
    /usr/bin/time -f "%e %M" -o "$work/time" timeout 120 "$tuneprep" check "$1" --json --quiet --no-person-checks \
        --min-images 0 > "$work/report.json" 2>/dev/null || true
    tail -n 1 "$work/time"
}
for _ in $(seq "$repeat"); do
    read -r s k < <(measure "$work/photos"); echo "photos alone: $s s, peak $((k / 1024)) MB"
    read -r s k < <(measure "$work/odd"); echo "with odd entries: $s s, peak $((k / 1024)) MB"
done
python3 - "$work/report.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for i in m["images"]:
    name = i["source"].rsplit("/", 1)[-1]
    if name in ("IMG_0001.MOV", "pipe.jpg", "zero.jpg", "dangling.jpg"):
        print(f"  {name}: " + "; ".join(f"{f['code']} ({f['message']})" for f in i.get("findings", [])))
PY

echo "== 2. serve-mock under 4 concurrent 500 MB uploads"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ASTRIA_API_KEY=bench-key "$tuneprep" serve-mock --port "$port" --data "$work/data" --max-body-bytes 1073741824 >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
# A JPEG signature, then zeros: the server sniffs the start, and the size is what counts here.
printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00' > "$work/big.jpg"
truncate -s 500M "$work/big.jpg"
start=$(date +%s.%N)
for i in 1 2 3 4; do
    curl -s -o /dev/null -w "upload $i: HTTP %{http_code}, %{size_upload} bytes in %{time_total} s\n" \
        -H "Authorization: Bearer bench-key" -F "tune[title]=flood-$i" -F "tune[name]=man" \
        -F "tune[images][]=@$work/big.jpg;type=image/jpeg" "http://127.0.0.1:$port/tunes" &
done
wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
echo "server peak (VmHWM): $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$server/status) after $(python3 -c "import time; print(round(time.time() - $start, 1))") s"

echo "== 3. serve-mock and 100,000 fields"
python3 -c "print('&'.join(f'tune[f{i}]=v' for i in range(100000)), end='')" > "$work/fields"
python3 - "$work/parts" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(100000):
        f.write(b"--B\r\nContent-Disposition: form-data; name=\"tune[f%d]\"\r\n\r\nv\r\n" % i)
    f.write(b"--B--\r\n")
PY
for _ in $(seq "$repeat"); do
    curl -s -o /dev/null -w "100,000 url-encoded fields: HTTP %{http_code} in %{time_total} s\n" -H "Authorization: Bearer bench-key" \
        -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@$work/fields" "http://127.0.0.1:$port/tunes"
    curl -s -o /dev/null -w "100,000 multipart parts: HTTP %{http_code} in %{time_total} s\n" -H "Authorization: Bearer bench-key" \
        -H "Content-Type: multipart/form-data; boundary=B" --data-binary "@$work/parts" "http://127.0.0.1:$port/tunes"
done
echo "server peak (VmHWM) at the end: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$server/status)"
