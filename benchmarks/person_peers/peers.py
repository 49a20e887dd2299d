#!/usr/bin/env python3
"""What a Python user would write instead of TunePrep's person checks, scored on the same sets.

    bash benchmarks/person_peers/install.sh        # once: the peers, in a venv
    PYTHONNOUSERSITE=1 ~/.cache/tuneprep/peers-venv/bin/python benchmarks/person_peers/peers.py \
        [--sets DIR] [--only placed identity] [--max-side 2048] [--json FILE] [--fr-exif-transpose]
    (or: bash benchmarks/person_peers/run.sh --no-install)

Two peers run on every photo of the sets benchmarks/person_accuracy/make_sets.py built:
  face_recognition  face_recognition 1.3.0: load_image_file, face_locations(model="hog") with its
                    default number_of_times_to_upsample=1 (dlib's HOG frontal face detector), and
                    for the identity sets face_encodings (dlib's ResNet descriptor, 5-point
                    alignment, num_jitters=1) at the face it found.
  Haar              OpenCV's haarcascade_frontalface_default.xml: cv2.imread, cvtColor to gray,
                    detectMultiScale(scaleFactor=1.1, minNeighbors=5), the tutorial's values.
Each photo is loaded the way such a user would load it (so load_image_file does not apply EXIF
orientation, while cv2.imread does) and scaled down, never up, to the long side TunePrep
outputs (--max-side, 2048), so faces have the same pixel sizes as in TunePrep's checks.

Scoring follows benchmarks/person_accuracy/evaluate.py (its TARGETS and box matching are
imported from it): a photo's findings are `no-face` when nothing is found and `several-people`
when another face, whose centre is outside the main face, is at least 0.33 of the main face's
height (TunePrep's otherPersonFraction); a photo passes when it has every finding truth.json
expects and none it forbids, and, for placed-*, a found box matches the labelled face (IoU >= 0.3
or each centre inside the other box). Neither peer gives a confidence, so the main face is the
largest box (TunePrep takes the one its detector is surest of). no-people counts every box as a
false face; dlib-labelled counts recall of labelled boxes >= 20 px tall. Identity (face_recognition
only): per folder, the descriptors of each photo's main face; with three or more, the medoid (the
smallest median distance to the others, the first on a tie) is the consensus face, and a face
more than 0.6 from it is `different-person` (TunePrep's PersonChecks.identityFindings and
maxIdentityDistance). Framing categories (close-up, half-body, full-body) need a framing rule the
peers do not have: n/a.

Time: CPU seconds (time.process_time) per photo on one thread (cv2.setNumThreads(1); BLAS and
OpenMP pools at 1), for load + resize + detect (+ descriptor for identity), and for the detector
call alone; loading the models is timed once, apart. Always exits 0 (a measurement).
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ left in benchmarks/person_accuracy
sys.path.insert(0, str(ROOT / "benchmarks" / "person_accuracy"))
from evaluate import TARGETS, matches  # noqa: E402  the same targets and box matching

OTHER_PERSON_FRACTION = 0.33  # Sources/TunePrep/Person/Face.swift otherPersonFraction
MAX_IDENTITY_DISTANCE = 0.6   # Sources/TunePrep/Person/Face.swift maxIdentityDistance
FRAMING = ("close-up", "half-body", "full-body")
CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
PEERS = ("face_recognition", "haar")

try:
    started = time.process_time()
    import cv2
    import numpy as np
    from PIL import Image
    cv_import = time.process_time() - started
    started = time.process_time()
    import face_recognition  # loads dlib's HOG detector, both shape predictors and the descriptor network
    fr_import = time.process_time() - started
except ImportError as error:
    sys.exit(f"peers.py: {error}: run benchmarks/person_peers/install.sh and use its venv's python "
             f"(~/.cache/tuneprep/peers-venv/bin/python), or benchmarks/person_peers/run.sh")


# -- loading, as each peer's user would ---------------------------------------------------------

EXIF_TRANSPOSE = False  # --fr-exif-transpose: what a more careful user would add


def fr_load(path, max_side):
    """face_recognition.load_image_file (PIL, RGB, no EXIF orientation), scaled down with PIL."""
    if EXIF_TRANSPOSE:
        from PIL import ImageOps
        with Image.open(path) as opened:
            image = np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
    else:
        image = face_recognition.load_image_file(str(path))
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(width, height))
    if scale < 1.0:
        size = (round(width * scale), round(height * scale))
        image = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))
    return image, (width, height), scale


def cv_load(path, max_side):
    """cv2.imread (BGR, EXIF orientation applied), cvtColor to gray, scaled down with INTER_AREA."""
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise ValueError("cv2.imread could not read it")
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    height, width = gray.shape[:2]
    scale = min(1.0, max_side / max(width, height))
    if scale < 1.0:
        gray = cv2.resize(gray, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    return gray, (width, height), scale


def to_upright(box, loaded_size, truth):
    """A box in the loaded photo's pixels, in the written photo's upright pixels (truth.json's),
    for a loader that left an EXIF-turned photo as stored (make_sets.py stores orientation 6 as
    the upright photo turned with PIL's ROTATE_90, 8 with ROTATE_270)."""
    width, height = truth["size"]
    orientation = truth.get("exif_orientation") or 1
    if orientation == 1 or tuple(loaded_size) == (width, height):
        return box
    x, y, w, h = box
    if orientation == 6:
        return [width - (y + h), x, h, w]
    if orientation == 8:
        return [y, height - (x + w), h, w]
    return box


# -- the detectors ----------------------------------------------------------------------------

class Peer:
    def __init__(self, name):
        self.name = name
        self.cascade = cv2.CascadeClassifier(CASCADE) if name == "haar" else None
        if self.cascade is not None and self.cascade.empty():
            sys.exit(f"peers.py: cannot load {CASCADE} (install opencv-data)")

    def detect(self, path, truth, max_side, describe=False):
        """Boxes (x, y, w, h) in truth.json's upright pixels, the main face's descriptor when
        asked, CPU seconds in all and in the detector alone."""
        t0 = time.process_time()
        if self.name == "face_recognition":
            image, size, scale = fr_load(path, max_side)
            t1 = time.process_time()
            locations = face_recognition.face_locations(image, number_of_times_to_upsample=1, model="hog")
            t2 = time.process_time()
            boxes = [[left, top, right - left, bottom - top] for top, right, bottom, left in locations]
        else:
            image, size, scale = cv_load(path, max_side)
            t1 = time.process_time()
            found = self.cascade.detectMultiScale(image, scaleFactor=1.1, minNeighbors=5)
            t2 = time.process_time()
            boxes = [[int(v) for v in b] for b in found]
        descriptor = None
        if describe and boxes:
            main = max(range(len(boxes)), key=lambda i: boxes[i][2] * boxes[i][3])
            x, y, w, h = boxes[main]
            descriptor = face_recognition.face_encodings(image, known_face_locations=[(y, x + w, y + h, x)])[0]
        t3 = time.process_time()
        upright = [to_upright([v / scale for v in b], size, truth) for b in boxes]
        return upright, descriptor, t3 - t0, t2 - t1


# -- the rules evaluate.py and TunePrep apply -------------------------------------------------

def centre_inside(box, main):
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return main[0] <= cx < main[0] + main[2] and main[1] <= cy < main[1] + main[3]


def photo_codes(boxes):
    """`no-face` / `several-people` from bare boxes: the largest is the main face; others whose
    centre lies inside it are the same face; one at least 0.33 of its height is another person."""
    if not boxes:
        return ["no-face"], None
    main = max(boxes, key=lambda b: b[2] * b[3])
    others = [b for b in boxes if b is not main and not centre_inside(b, main)]
    people = [b for b in others if b[3] >= OTHER_PERSON_FRACTION * main[3]]
    return (["several-people"] if people else []), main


def identity_flags(descriptors):
    """TunePrep's identityFindings: indexes (into `descriptors`) more than 0.6 from the medoid,
    and every index's distance to it. Needs three descriptors."""
    n = len(descriptors)
    if n < 3:
        return set(), {}
    matrix = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            matrix[i][j] = matrix[j][i] = float(np.linalg.norm(descriptors[i] - descriptors[j]))
    medoid, best = 0, float("inf")
    for i in range(n):
        m = statistics.median(matrix[i][j] for j in range(n) if j != i)
        if m < best - 1e-12:
            medoid, best = i, m
    distances = {i: matrix[i][medoid] for i in range(n)}
    return {i for i in range(n) if i != medoid and distances[i] > MAX_IDENTITY_DISTANCE}, distances


# -- the run ----------------------------------------------------------------------------------

class Benchmark:
    def __init__(self, args):
        self.args = args
        self.truth = json.loads((args.sets / "truth.json").read_text())["photos"]
        self.peers = {name: Peer(name) for name in PEERS}
        self.rows = {}     # group -> peer -> [row]
        self.counts = {}   # group -> photos
        self.misses = []   # lines
        self.errors = []

    def groups(self):
        folders = {}
        for key, entry in self.truth.items():
            folders.setdefault(entry["category"], []).append(key)
        return sorted(folders.items())

    def add(self, group, peer, row):
        self.rows.setdefault(group, {}).setdefault(peer, []).append(row)

    def run(self):
        for category, keys in self.groups():
            if self.args.only and not any(category.startswith(o) for o in self.args.only):
                continue
            keys = sorted(keys)
            if category in FRAMING:
                self.counts[category] = len(keys)
                continue
            if category.startswith("identity/"):
                self.identity(category, keys)
            else:
                self.counts[category] = self.counts.get(category, 0) + len(keys)
                for key in keys:
                    for peer in PEERS:
                        self.photo(category, key, peer)
            print(f"done: {category} ({len(keys)} photos)", file=sys.stderr)

    def photo(self, category, key, peer):
        truth = self.truth[key]
        try:
            boxes, _, seconds, detect = self.peers[peer].detect(self.args.sets / key, truth, self.args.max_side)
        except Exception as error:  # a photo a peer cannot read is a miss, said so
            self.errors.append(f"{key}: {peer}: {error}")
            boxes, seconds, detect = None, 0.0, 0.0
        row = {"key": key, "seconds": seconds, "detect_seconds": detect}
        if boxes is None:
            row.update(ok=False, faces=0)
            self.add(category, peer, row)
            self.misses.append(f"{key}: {peer}: failed to load")
            return
        codes, main = photo_codes(boxes)
        missing = [c for c in truth.get("expect", []) if c not in codes]
        unwanted = [c for c in truth.get("forbid", []) if c in codes]
        ok = not missing and not unwanted
        detail = []
        if category.startswith("placed"):
            found = any(matches(truth["boxes"][0], b) for b in boxes)
            ok = ok and found
            row["percent"] = truth["face_percent_of_height"]
            label_px = truth["boxes"][0][3] * min(1.0, self.args.max_side / max(truth["size"]))
            detail.append(f"face {truth['face_percent_of_height']}% of height, {label_px:.0f} px tall at the output size; "
                          f"label {'' if found else 'not '}matched")
        elif category == "no-people":
            row["false_faces"] = len(boxes)
            ok = not boxes
            detail.append(f"{len(boxes)} false face(s)")
        elif category == "dlib-labelled":
            labelled = [b for b in truth["boxes"] if b[3] >= 20]
            hit = sum(1 for b in labelled if any(matches(b, f) for f in boxes))
            row["boxes"], row["hit"] = len(labelled), hit
            ok = ok and hit == len(labelled)
            detail.append(f"boxes {hit}/{len(labelled)}")
        row.update(ok=ok, faces=len(boxes), codes=codes, found=[[round(v) for v in b] for b in boxes])
        self.add(category, peer, row)
        if not ok:
            why = [f"missing {c}" for c in missing] + [f"unwanted {c}" for c in unwanted]
            self.misses.append(f"{key}: {peer}: {len(boxes)} face(s) {row['found'][:8]}; "
                               f"{'; '.join(why + detail) or 'ok by findings'}")

    def identity(self, category, keys):
        """face_recognition only: the set's descriptors, then the medoid rule."""
        peer = self.peers["face_recognition"]
        results = []
        for key in keys:
            truth = self.truth[key]
            try:
                boxes, descriptor, seconds, detect = peer.detect(self.args.sets / key, truth, self.args.max_side, describe=True)
            except Exception as error:
                self.errors.append(f"{key}: face_recognition: {error}")
                boxes, descriptor, seconds, detect = [], None, 0.0, 0.0
            results.append((key, truth, boxes, descriptor, seconds, detect))
        described = [i for i, r in enumerate(results) if r[3] is not None]
        flagged, distances = identity_flags([results[i][3] for i in described])
        for position, (key, truth, boxes, descriptor, seconds, detect) in enumerate(results):
            codes = [] if boxes else ["no-face"]
            distance = None
            if position in described:
                k = described.index(position)
                distance = distances.get(k)
                if k in flagged:
                    codes.append("different-person")
            missing = [c for c in truth.get("expect", []) if c not in codes]
            unwanted = [c for c in truth.get("forbid", []) if c in codes]
            ok = not missing and not unwanted
            group = "identity-stranger" if truth["stranger"] else "identity-same"
            self.counts[group] = self.counts.get(group, 0) + 1
            row = {"key": key, "ok": ok, "codes": codes, "faces": len(boxes), "seconds": seconds, "detect_seconds": detect,
                   "distance": None if distance is None else round(distance, 3)}
            self.add(group, "face_recognition", row)
            if not ok:
                why = [f"missing {c}" for c in missing] + [f"unwanted {c}" for c in unwanted]
                note = "no face found, no descriptor" if not boxes else (
                    f"distance to the medoid {distance:.3f}" if distance is not None else "fewer than 3 descriptors in the set")
                self.misses.append(f"{key}: face_recognition: {'; '.join(why)}; {note} ({len(described)} of {len(keys)} photos described)")

    # -- the report ---------------------------------------------------------------------------

    def result(self, group, rows):
        """(passed text, met) as evaluate.py's table judges them."""
        n, passed = len(rows), sum(r["ok"] for r in rows)
        if group == "no-people":
            false = sum(r["false_faces"] for r in rows)
            return f"{passed} ({false} false faces)", false <= n / 15
        if group == "dlib-labelled":
            boxes, hit = sum(r["boxes"] for r in rows), sum(r["hit"] for r in rows)
            return f"{passed} (boxes {hit}/{boxes} = {100 * hit / max(boxes, 1):.0f}%)", boxes > 0 and hit / boxes >= 0.97
        met = passed / n >= 0.95 if group == "identity-stranger" else passed == n
        text = str(passed)
        if group.startswith("placed") and passed < n:
            low = sorted({r["percent"] for r in rows if not r["ok"]})
            text += f" (missed at {', '.join(f'{p}%' for p in low)})"
        return text, met

    def table(self):
        head = ("| category | photos | face_recognition passed | met | Haar passed | met | target "
                "| face_recognition ms/photo (detect) | Haar ms/photo (detect) |")
        lines = [head, "| " + " | ".join(["---"] * 9) + " |"]
        for group in TARGETS:
            if group not in self.counts:
                continue
            cells = []
            times = []
            for peer in PEERS:
                rows = self.rows.get(group, {}).get(peer)
                if not rows:
                    cells += ["n/a", "n/a"]
                    times.append("n/a")
                    continue
                text, met = self.result(group, rows)
                cells += [text, "yes" if met else "**no**"]
                total = 1000 * sum(r["seconds"] for r in rows) / len(rows)
                detect = 1000 * sum(r["detect_seconds"] for r in rows) / len(rows)
                times.append(f"{total:.0f} ({detect:.0f})")
            lines.append(f"| {group} | {self.counts[group]} | {' | '.join(cells)} | {TARGETS[group]} | {' | '.join(times)} |")
        return "\n".join(lines)

    def totals(self):
        out = []
        for peer in PEERS:
            rows = [r for g in self.rows.values() for r in g.get(peer, [])]
            if rows:
                seconds = sum(r["seconds"] for r in rows)
                detect = sum(r["detect_seconds"] for r in rows)
                out.append(f"{peer}: {len(rows)} photo runs, {seconds:.1f} CPU s in all "
                           f"({1000 * seconds / len(rows):.0f} ms a photo; detector alone {1000 * detect / len(rows):.0f} ms)")
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=Path, default=Path.home() / ".cache/tuneprep/person-eval", help="make_sets.py's output")
    parser.add_argument("--only", nargs="*", help="only categories starting with these (e.g. placed identity/)")
    parser.add_argument("--max-side", type=int, default=2048, help="long side photos are scaled down to (TunePrep's output, 2048)")
    parser.add_argument("--json", type=Path, help="also write every photo's result here")
    parser.add_argument("--fr-exif-transpose", action="store_true",
                        help="face_recognition: load with PIL.ImageOps.exif_transpose instead of load_image_file")
    args = parser.parse_args()
    global EXIF_TRANSPOSE
    EXIF_TRANSPOSE = args.fr_exif_transpose
    if not (args.sets / "truth.json").exists():
        print(f"peers.py: no {args.sets}/truth.json: run benchmarks/person_accuracy/make_sets.py first")
        return 0
    cv2.setNumThreads(1)
    import dlib
    bench = Benchmark(args)
    from importlib.metadata import version  # face_recognition 1.3.0's __version__ still says 1.2.3
    print(f"peers: face_recognition {version('face_recognition')} (dlib {dlib.__version__}, HOG, upsample 1), "
          f"OpenCV {cv2.__version__} haarcascade_frontalface_default (scaleFactor 1.1, minNeighbors 5); "
          f"long side <= {args.max_side}; python {sys.version.split()[0]} at {sys.executable}")
    print(f"model loading, once (CPU s): import face_recognition {fr_import:.2f}, import cv2 {cv_import:.2f}")
    started = time.monotonic()
    bench.run()
    wall = time.monotonic() - started
    print("\n# Person checks, peers (what a Python user would write instead)\n")
    print(bench.table())
    print()
    for line in bench.totals():
        print(line)
    print(f"wall clock: {wall:.1f} s; CPU time per photo on one thread (cv2.setNumThreads(1)), "
          f"load + resize + detect (+ descriptor on identity); (detect) is the detector call alone")
    print("main face: the largest box (neither peer reports a confidence); face_recognition's photos "
          + ("turned upright by PIL.ImageOps.exif_transpose (--fr-exif-transpose)" if EXIF_TRANSPOSE
             else "loaded by load_image_file, which does not apply EXIF orientation"))
    print(f"\n## Misses ({len(bench.misses)})\n")
    for line in bench.misses:
        print(f"- {line}")
    for line in bench.errors:
        print(f"- error: {line}")
    if args.json:
        args.json.write_text(json.dumps({"rows": bench.rows, "counts": bench.counts, "misses": bench.misses,
                                         "errors": bench.errors}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
