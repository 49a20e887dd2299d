#!/usr/bin/env bash
# Photos of real people for the person-check tests, from packages, never copied into the
# repository: Debian's python3-skimage and python-matplotlib-data (read where they are
# installed), and the test photos of the PyPI package face_recognition 1.3.0 (MIT licence),
# unpacked into $TUNEPREP_TEST_PHOTOS, else ~/.cache/tuneprep/test-photos. Tests skip, saying
# why, when these are absent.
set -euo pipefail
packages=(python3-skimage python-matplotlib-data)
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

dest="${TUNEPREP_TEST_PHOTOS:-$HOME/.cache/tuneprep/test-photos}"
if [ -f "$dest/face_recognition/obama.jpg" ]; then echo "test photos already in $dest"; exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$work" face_recognition==1.3.0
echo "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec  $work/face_recognition-1.3.0.tar.gz" | sha256sum --check --status \
    || { echo "install-test-photos: face_recognition-1.3.0.tar.gz does not have the expected checksum" >&2; exit 1; }
tar -xzf "$work/face_recognition-1.3.0.tar.gz" -C "$work" face_recognition-1.3.0/tests/test_images face_recognition-1.3.0/LICENSE
mkdir -p "$dest"
rm -rf "$dest/face_recognition"
cp -r "$work/face_recognition-1.3.0/tests/test_images" "$dest/face_recognition"
cp "$work/face_recognition-1.3.0/LICENSE" "$dest/face_recognition/LICENSE"
echo "test photos installed in $dest"
