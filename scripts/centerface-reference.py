#!/usr/bin/env python3
"""CenterFace's boxes computed by an independent runtime (onnxruntime), for the test that checks
TunePrep's OpenCV path against them (`CenterFaceReferenceTests`).

OpenCV 4.6's dnn module computes wrong outputs when one network is fed several input sizes; the
shim keeps one network per size. This script computes, once, what the model should give for a few
fixed inputs (a PNG placed at the top left of a black input of a given size, exactly as the shim
builds it), with its own decoding of CenterFace's outputs (no clamping to the input), and prints
them as Swift literals to paste into the test. Run it after changing the model or the decoding:

    bash scripts/centerface-reference.sh   # installs pinned onnxruntime/onnx/numpy/pillow in a venv

It never runs at TunePrep's run time or in CI.
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime
from onnx.tools.update_model_dims import update_inputs_outputs_dims
from PIL import Image

MODEL = os.path.join(
    os.environ.get("TUNEPREP_MODELS") or os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "tuneprep/models"),
    "centerface.onnx")
SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
# (photo, input width, input height): the same photo at two sizes is the OpenCV trap.
CASES = [("astronaut.png", 512, 512), ("astronaut.png", 640, 544), ("camera.png", 512, 512)]
THRESHOLD = 0.3


def session():
    model = onnx.load(MODEL)
    # Older exports list the weights as inputs too: they keep their own shapes.
    dims_in = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    dims_in["input.1"] = ["B", 3, "H", "W"]
    dims_out = {"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"], "540": ["B", 10, "h", "w"]}
    model = update_inputs_outputs_dims(model, dims_in, dims_out)
    onnxruntime.set_default_logger_severity(3)
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def faces(sess, rgb, width, height):
    placed = np.zeros((height, width, 3), dtype=np.float32)
    placed[: rgb.shape[0], : rgb.shape[1]] = rgb
    blob = placed.transpose(2, 0, 1)[None]
    heat, scale, offset, marks = sess.run(["537", "538", "539", "540"], {"input.1": blob})
    found = []
    for r, c in zip(*np.where(heat[0, 0] > THRESHOLD)):
        h, w = np.exp(scale[0, 0, r, c]) * 4, np.exp(scale[0, 1, r, c]) * 4
        cy, cx = (r + offset[0, 0, r, c] + 0.5) * 4, (c + offset[0, 1, r, c] + 0.5) * 4
        left, top = cx - w / 2, cy - h / 2
        points = [(marks[0, 2 * j + 1, r, c] * w + left, marks[0, 2 * j, r, c] * h + top) for j in range(5)]
        found.append((float(heat[0, 0, r, c]), left, top, w, h, points))
    found.sort(key=lambda f: -f[0])
    kept = []
    for f in found:
        if all(iou(f, k) < 0.3 for k in kept):
            kept.append(f)
    return kept


def iou(a, b):
    x1, y1 = max(a[1], b[1]), max(a[2], b[2])
    x2, y2 = min(a[1] + a[3], b[1] + b[3]), min(a[2] + a[4], b[2] + b[4])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / (a[3] * a[4] + b[3] * b[4] - inter)


def main():
    sess = session()
    print(f"// onnxruntime {onnxruntime.__version__}, threshold {THRESHOLD}, model {MODEL}")
    for name, width, height in CASES:
        rgb = np.asarray(Image.open(os.path.join(SKIMAGE, name)).convert("RGB"), dtype=np.float32)
        for score, left, top, w, h, points in faces(sess, rgb, width, height):
            marks = ", ".join(f"{v:.1f}" for p in points for v in p)
            print(f'.init(photo: "{name}", inputWidth: {width}, inputHeight: {height}, score: {score:.3f}, '
                  f"box: [{left:.1f}, {top:.1f}, {w:.1f}, {h:.1f}], landmarks: [{marks}]),")


if __name__ == "__main__":
    sys.exit(main())
