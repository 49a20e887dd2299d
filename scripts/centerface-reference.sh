#!/usr/bin/env bash
# Runs scripts/centerface-reference.py with pinned onnxruntime, onnx, numpy and pillow in a
# throwaway venv (never in CI, never at run time): prints the reference boxes for the test.
set -euo pipefail
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet onnxruntime==1.20.1 onnx==1.17.0 numpy==2.1.3 pillow==11.0.0
"$venv/bin/python" "$(dirname "$0")/centerface-reference.py"
