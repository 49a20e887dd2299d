#!/usr/bin/env bash
# The quick start, offline: install what is missing, prepare samples/, start the local
# Astria-compatible server, submit the staged set to it (with a progress bar on a terminal),
# wait for the training, generate four pictures and download them into shots/. Nothing leaves
# this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product tuneprep
tuneprep=.build/release/tuneprep

echo "== 1. prepare samples/ into staged/"
# The samples are drawn figures, not people: the person checks would reject every one of them.
"$tuneprep" prepare samples --out staged --force --no-person-checks || true  # exit 1 would mean an unusable set; the report says why

echo "== 2. start the local Astria-compatible server"
data=$(mktemp -d)
log="$data/server.log"
export ASTRIA_API_KEY=sd_quickstart_local_key   # the only key this local server accepts
"$tuneprep" serve-mock --port 0 --data "$data/files" --fast-training-seconds 2 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$log" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$log" | head -1)
echo "server: $url"

echo "== 3. submit staged/ and wait until it is trained (title = the set's content id, so a retry cannot create a second tune)"
"$tuneprep" submit staged --name man --branch fast --base-url "$url" --force --wait
tune=$(grep -o '"tune_id" *: *[0-9]*' staged/submission.json | grep -o '[0-9]*$')

echo "== 4. generate four pictures from tune $tune and wait for them"
"$tuneprep" prompts create "$tune" --text "ohwx man, corporate headshot" --num-images 4 --wait --base-url "$url"

echo "== 5. download them into shots/ (a second run fetches nothing)"
"$tuneprep" prompts download "$tune" --out shots --base-url "$url"
ls -l shots

echo "== server log"
cat "$log"
