#!/usr/bin/env bash
# The README's test command: installs what the tests need that is missing (the build's packages
# and models, scripts/install-deps.sh; the photos of people the person-check tests read,
# scripts/install-test-photos.sh), then runs the whole suite. Extra arguments go to `swift test`.
# -Xcxx -O2: dlib's detector is header templates compiled into our C++ shim; at a debug build's
# -O0 one face search takes tens of seconds. Swift code stays a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-test-photos.sh
swift test -Xcxx -O2 "$@"
