#!/usr/bin/env python3
"""Measures tuneprep's person checks on the sets make_sets.py built.

    python3 benchmarks/person_accuracy/evaluate.py [--tuneprep BIN] [--sets DIR] [--extra-args ...]

Runs `BIN check FOLDER --json --quiet --min-images 0 --min-side 64 --no-quality-checks` once per
category folder (identity: once per person+stranger folder, since the same-person check works on a
set), maps every manifest entry back to truth.json, prints one line per photo and a markdown table
per category with its target, and the wall-clock time per photo. Always exits 0 (a measurement);
targets missed are listed at the end. Standard library only.

Face boxes come back in output pixels: the output is the upright photo scaled by
min(1, max_side / long side) (never upscaled), so boxes are scaled back by the output's size when
the photo was staged, else by that rule from the manifest's source size and options.max_side.
A labelled box counts as found when a detected box has IoU >= 0.3 with it, or when each box's
centre lies inside the other.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_ARGS = ["--json", "--quiet", "--min-images", "0", "--min-side", "64", "--no-quality-checks"]

TARGETS = {
    "placed-landscape": "no `no-face` at >= 3% (100% found)",
    "placed-portrait": "no `no-face` at >= 3% (100% found)",
    "placed-exif": "all found after EXIF orientation (100%)",
    "three-quarter": "turned faces found (100%)",
    "group-cut": "every photo `several-people` (100%)",
    "full-body": "framing `full-body` (100%)",
    "half-body": "framing as labelled (100%)",
    "close-up": "framing as labelled (100%)",
    "no-people": "at most 1 false face in 15 photos",
    "dlib-labelled": "recall >= 97% of labelled boxes >= 20 px tall",
    "identity-same": "no same-person photo `different-person` (0)",
    "identity-stranger": ">= 95% of strangers `different-person`",
}


def iou(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w, h = min(ax2, bx2) - max(a[0], b[0]), min(ay2, by2) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def inside(point, box):
    return box[0] <= point[0] < box[0] + box[2] and box[1] <= point[1] < box[1] + box[3]


def matches(label, found):
    if iou(label, found) >= 0.3:
        return True
    lc = (label[0] + label[2] / 2, label[1] + label[3] / 2)
    fc = (found[0] + found[2] / 2, found[1] + found[3] / 2)
    return inside(lc, found) and inside(fc, label)


def run_check(binary, folder, extra):
    command = [binary, "check", str(folder), *BASE_ARGS, *extra]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    try:
        return json.loads(result.stdout), elapsed, None
    except json.JSONDecodeError:
        return None, elapsed, f"exit {result.returncode}: {result.stderr.strip()[:300]}"


def faces_in_source_pixels(image, truth, max_side):
    """The detected faces, scaled from output pixels to the written photo's upright pixels."""
    person = image.get("person") or {}
    faces = person.get("faces") or []
    width, height = truth["size"]
    output = image.get("output")
    if output:
        scale = width / output["width"]
    else:
        long_side = max(image.get("source_width") or width, image.get("source_height") or height)
        scale = 1 / min(1.0, max_side / long_side)
    return [[f["x"] * scale, f["y"] * scale, f["width"] * scale, f["height"] * scale, f.get("confidence")] for f in faces]


class Evaluation:
    def __init__(self, args):
        self.args = args
        self.truth = json.loads((args.sets / "truth.json").read_text())["photos"]
        self.rows = {}  # category -> list of dict(ok, ...)
        self.photos_run = 0
        self.seconds = 0.0
        self.notes = []
        self.detectors = set()  # as the manifests name them

    def folders(self):
        groups = {}
        for key, entry in self.truth.items():
            groups.setdefault(entry["category"], []).append(key)
        return groups

    def run(self):
        for category, keys in sorted(self.folders().items(), key=lambda kv: kv[0]):
            if self.args.only and not any(category.startswith(o) for o in self.args.only):
                continue
            manifest, elapsed, error = run_check(self.args.tuneprep, self.args.sets / category, self.args.extra_args)
            self.photos_run += len(keys)
            self.seconds += elapsed
            if manifest is None:
                self.notes.append(f"{category}: tuneprep failed ({error})")
                print(f"{category}: tuneprep failed ({error})")
                continue
            by_name = {}
            for image in manifest["images"]:
                by_name[f"{category}/{Path(image['source']).name}"] = image
            max_side = manifest.get("options", {}).get("max_side", 2048)
            checks = manifest.get("person_checks") or {}
            identity_checked = checks.get("identity_checked")
            self.detectors.add(f"{checks.get('detector', '?')}" + (f" (fallback: {checks['detector_fallback']})" if checks.get("detector_fallback") else ""))
            if category.startswith("identity/") and not identity_checked:
                self.notes.append(f"{category}: identity not checked ({(manifest.get('person_checks') or {}).get('identity_skipped')})")
            print(f"\n## {category}  ({len(keys)} photos, {elapsed:.1f} s)")
            for key in sorted(keys):
                image = by_name.get(key)
                if image is None:
                    print(f"{key}: not in the manifest  MISS")
                    continue
                self.judge(category, key, self.truth[key], image, max_side)

    def judge(self, category, key, truth, image, max_side):
        codes = [f["code"] for f in image.get("findings", [])]
        person = image.get("person") or {}
        faces = faces_in_source_pixels(image, truth, max_side)
        framing = person.get("framing")
        missing = [c for c in truth.get("expect", []) if c not in codes]
        unwanted = [c for c in truth.get("forbid", []) if c in codes]
        ok = not missing and not unwanted
        detail = ""
        group = category
        row = {"key": key}
        if category.startswith("placed"):
            found = any(matches(truth["boxes"][0], f[:4]) for f in faces)
            ok = ok and found
            detail = f"{truth['face_percent_of_height']}% label{'' if found else ' not'} matched"
            row["percent"] = truth["face_percent_of_height"]
        elif category in ("full-body", "half-body", "close-up"):
            ok = ok and framing == truth["framing"]
        elif category == "no-people":
            row["false_faces"] = len(faces)
            ok = len(faces) == 0
        elif category == "dlib-labelled":
            labelled = [b for b in truth["boxes"] if b[3] >= 20]
            hit = sum(1 for b in labelled if any(matches(b, f[:4]) for f in faces))
            row["boxes"], row["hit"] = len(labelled), hit
            detail = f"boxes {hit}/{len(labelled)}"
            ok = hit == len(labelled) and ok
        elif category.startswith("identity/"):
            group = "identity-stranger" if truth["stranger"] else "identity-same"
            detail = f"distance {person.get('identityDistance', person.get('identity_distance'))}"
        row["ok"] = ok
        self.rows.setdefault(group, []).append(row)
        expected = " ".join([*(f"+{c}" for c in truth.get("expect", [])), *(f"!{c}" for c in truth.get("forbid", []))]) or "-"
        if truth.get("framing") and category in ("full-body", "half-body", "close-up"):
            expected += f" framing={truth['framing']}"
        got = ",".join(codes) or "-"
        print(f"{key}: expected {expected}; got {got}; faces {len(faces)}; framing {framing}; {detail + '; ' if detail else ''}{'ok' if ok else 'MISS'}")

    def table(self):
        lines = ["| category | photos | passed | target | met |", "| --- | --- | --- | --- | --- |"]
        missed = []
        for group in TARGETS:
            rows = self.rows.get(group)
            if not rows:
                continue
            n, passed = len(rows), sum(r["ok"] for r in rows)
            if group == "no-people":
                false = sum(r["false_faces"] for r in rows)
                met = false <= n / 15
                result = f"{passed} ({false} false faces)"
            elif group == "dlib-labelled":
                boxes, hit = sum(r["boxes"] for r in rows), sum(r["hit"] for r in rows)
                met = boxes > 0 and hit / boxes >= 0.97
                result = f"{passed} (boxes {hit}/{boxes} = {100 * hit / max(boxes, 1):.0f}%)"
            elif group == "identity-stranger":
                met = passed / n >= 0.95
                result = str(passed)
            else:
                met = passed == n
                result = str(passed)
            if group.startswith("placed") and passed < n:
                low = sorted({r["percent"] for r in rows if not r["ok"]})
                result += f" (missed at {', '.join(f'{p}%' for p in low)})"
            lines.append(f"| {group} | {n} | {result} | {TARGETS[group]} | {'yes' if met else '**no**'} |")
            if not met:
                missed.append(group)
        return "\n".join(lines), missed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tuneprep", default=str(ROOT / ".build/release/tuneprep"), help="the binary (default .build/release/tuneprep)")
    parser.add_argument("--sets", type=Path, default=Path.home() / ".cache/tuneprep/person-eval", help="make_sets.py's output")
    parser.add_argument("--only", nargs="*", help="only categories starting with these (e.g. placed identity/)")
    parser.add_argument("--extra-args", nargs=argparse.REMAINDER, default=[], help="passed to `tuneprep check` (last)")
    args = parser.parse_args()
    if not Path(args.tuneprep).exists():
        print(f"evaluate.py: no binary at {args.tuneprep} (build it, or pass --tuneprep)")
        return 0
    if not (args.sets / "truth.json").exists():
        print(f"evaluate.py: no {args.sets}/truth.json: run benchmarks/person_accuracy/make_sets.py first")
        return 0
    evaluation = Evaluation(args)
    print(f"tuneprep: {args.tuneprep} {' '.join(args.extra_args)}")
    evaluation.run()
    table, missed = evaluation.table()
    print("\n# Person checks, measured\n")
    print(table)
    if evaluation.photos_run:
        print(f"\ntime: {evaluation.seconds:.1f} s for {evaluation.photos_run} photos, "
              f"{1000 * evaluation.seconds / evaluation.photos_run:.0f} ms a photo (wall clock, whole `check` runs)")
    print(f"detector: {'; '.join(sorted(evaluation.detectors)) or '?'}")
    for note in evaluation.notes:
        print(f"note: {note}")
    print(f"\ntargets missed: {', '.join(missed)}" if missed else "\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
