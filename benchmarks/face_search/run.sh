#!/usr/bin/env bash
# The face search's candidates, per 1024 px grey photo on one thread: dlib's frontal model on
# each scan pyramid (5/6 is dlib's default, TunePrep scans on 3/4), at -O2 as SwiftPM builds the
# shim and at -O3 -mavx2 -mfma, and OpenCV's cascades (when libopencv-objdetect-dev is installed).
#   bash benchmarks/face_search/run.sh [PHOTO...]     (default: two photos of ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
photos=("$@")
[ ${#photos[@]} -gt 0 ] || photos=(../../../shared/corpus/photos/phone/*.jpg)
pgms=()
for p in "${photos[@]:0:2}"; do
    out="$work/$(basename "${p%.*}").pgm"
    python3 -c "import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('L'); im.thumbnail((1024, 1024)); im.save(sys.argv[2])" "$p" "$out"
    pgms+=("$out")
done
for flags in "-O2" "-O3 -mavx2 -mfma"; do
    echo "== dlib, clang++ $flags"
    clang++ -std=c++17 $flags dlib_pyramids.cpp -o "$work/dlib" -ldlib -llapack -lblas -lpthread
    "$work/dlib" "${pgms[@]}"
done
if [ -d /usr/include/opencv4 ]; then
    clang++ -std=c++17 -O2 -I/usr/include/opencv4 opencv_cascades.cpp -o "$work/cv" -lopencv_objdetect -lopencv_imgproc -lopencv_core
    for c in /usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml /usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml \
             /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml; do
        [ -f "$c" ] && "$work/cv" "$c" "${pgms[@]}"
    done
fi
