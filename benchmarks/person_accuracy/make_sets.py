#!/usr/bin/env python3
"""Builds the person-check evaluation folders from photos that packages install.

    bash scripts/install-test-photos.sh            # the photos, pinned, into ~/.cache/tuneprep/test-photos
    python3 -m pip install --user Pillow numpy    # this script's only dependencies (or a venv)
    python3 benchmarks/person_accuracy/make_sets.py [--photos DIR] [--out DIR]

Reads $TUNEPREP_TEST_PHOTOS (else ~/.cache/tuneprep/test-photos), Debian's python3-skimage and
python-matplotlib-data where they are installed, and ../shared/faces next to the project when it
exists (its none/ and single/ photos, as labelled in its truth.csv). Writes, into --out (default
~/.cache/tuneprep/person-eval, never the repository), one folder per category and truth.json,
which records for every photo its source, crop or placement, the people in it, the framing where
it is defined, the findings a correct checker gives (`expect` / `forbid`) and labelled face boxes
(x, y, width, height in the written photo's upright pixels) where known. Generated photos are
JPEG quality 95; crops whose long side is under 1536 px are upscaled to 1536 with Lanczos.
Deterministic: the same inputs give the same files. Run evaluate.py on the result.
"""
import argparse
import csv
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

try:
    import numpy as np
    from PIL import Image, ImageFilter
except ImportError:
    sys.exit("make_sets.py needs Pillow and numpy: python3 -m pip install --user Pillow numpy")

ROOT = Path(__file__).resolve().parents[2]
SHARED_FACES = ROOT.parent / "shared" / "faces"
SKIMAGE = Path("/usr/lib/python3/dist-packages/skimage/data")
MPL = Path("/usr/share/matplotlib/mpl-data/sample_data")
MIN_LONG_SIDE = 1536
QUALITY = 95

SOURCES = {
    "face_recognition": "PyPI face_recognition 1.3.0 sdist, tests/test_images (MIT)",
    "dlib": "Debian dlib 19.24+dfsg-1 source, examples/faces and examples/johns (Boost)",
    "insightface": "PyPI insightface 2.1 sdist, insightface/data/images (MIT)",
    "ultralytics": "PyPI ultralytics 8.4.190 wheel, ultralytics/assets (AGPL-3.0)",
    "opencv": "Debian opencv-doc 4.6.0+dfsg-12, examples/data and examples/hfs/data (BSD)",
    "skimage": "Debian python3-skimage, skimage/data",
    "matplotlib": "Debian python-matplotlib-data, sample_data",
    "shared": "../shared/faces (see its README.md and truth.csv)",
}

# Upright portraits for the placed sets, each with a hand-measured face box (x, y, w, h: forehead
# to chin, cheek to cheek) in the source's pixels.
PORTRAITS = {
    "obama": ("face_recognition/obama.jpg", (345, 100, 270, 260)),
    "biden": ("face_recognition/biden.jpg", (410, 190, 350, 370)),
    "astronaut": ("skimage:astronaut.png", (180, 70, 85, 95)),
}
PLACED_PERCENTS = [3, 4, 5, 6, 7, 8, 9, 10, 12]
# (portrait, percent, orientation of the frame, EXIF orientation written)
PLACED_EXIF = [("obama", 6, "landscape", 6), ("obama", 8, "portrait", 8), ("biden", 5, "landscape", 8),
               ("biden", 10, "portrait", 6), ("astronaut", 7, "landscape", 6), ("astronaut", 12, "portrait", 8)]

# Crops (left, top, right, bottom in source pixels), measured by eye on grids of each photo.
THREE_QUARTER = [
    ("t1_joey", "insightface/t1.jpg", (860, 0, 1125, 430), "man, half-body, head turned to his left, looking down"),
    ("t1_monica", "insightface/t1.jpg", (235, 90, 462, 460), "woman, half-body, head tilted and turned"),
    ("t1_rachel", "insightface/t1.jpg", (0, 220, 255, 640), "woman, half-body, head turned down to her cards"),
    ("t1_ross", "insightface/t1.jpg", (440, 210, 640, 620), "man, half-body, three-quarter face"),
    ("t1_chandler", "insightface/t1.jpg", (705, 280, 885, 600), "man, half-body, laughing, head turned and tilted"),
    ("zidane_zidane", "ultralytics/zidane.jpg", (110, 180, 745, 720), "man, half-body, near profile, shouting"),
    ("zidane_ancelotti", "ultralytics/zidane.jpg", (755, 30, 1180, 720), "man, half-body, three-quarter face (another's hand in frame)"),
    ("bus_center_man", "ultralytics/bus.jpg", (205, 380, 360, 640), "man, half-body, sunglasses, face turned to his right"),
]
# (name, source, crop, people visible, note)
GROUP_CUT = [
    ("t1_cut_rachel", "insightface/t1.jpg", (120, 0, 1280, 886), 6, "left edge through the leftmost woman's face"),
    ("t1_cut_phoebe", "insightface/t1.jpg", (0, 0, 1185, 886), 6, "right edge through the rightmost woman's face"),
    ("t1_cut_monica_joey", "insightface/t1.jpg", (320, 120, 1280, 886), 5, "left edge through a woman's face, top edge through a man's"),
    ("t1_cut_ross", "insightface/t1.jpg", (0, 0, 530, 886), 3, "right edge through the middle man's face"),
    ("bus_cut_center", "ultralytics/bus.jpg", (0, 300, 290, 1000), 3, "right edge through the sunglasses man's face"),
    ("bus_cut_left", "ultralytics/bus.jpg", (130, 300, 810, 950), 3, "left edge through the bearded man's face"),
    ("zidane_cut", "ultralytics/zidane.jpg", (0, 150, 1000, 720), 2, "right edge through the grey-haired man's face (2 people)"),
    ("basketball1_cut", "opencv/basketball1.png", (0, 0, 560, 480), 2, "right edge through the profile face (2 people, gray)"),
    ("basketball2_cut", "opencv/basketball2.png", (0, 0, 560, 480), 2, "right edge through the profile face (2 people, gray)"),
]
# (name, source, crop, framing, note)
FRAMING = [
    ("bus_left_man", "ultralytics/bus.jpg", (50, 370, 250, 930), "full-body", "standing, portrait"),
    ("bus_center_man", "ultralytics/bus.jpg", (205, 390, 360, 880), "full-body", "standing, portrait"),
    ("basketball1_man", "opencv/basketball1.png", (15, 60, 205, 480), "full-body", "standing, portrait, gray"),
    ("basketball2_man", "opencv/basketball2.png", (0, 40, 200, 480), "full-body", "standing, portrait, gray"),
    ("basketball1_man_wide", "opencv/basketball1.png", (0, 70, 430, 480), "full-body", "standing, landscape, gray"),
    ("messi5_kick", "opencv/messi5.jpg", (30, 10, 480, 330), "full-body", "lunging low to kick, landscape, blurred crowd behind"),
    ("obama_waist_up", "face_recognition/obama.jpg", None, "half-body", "waist up, arms crossed"),
    ("obama2_podium", "face_recognition/obama2.jpg", (0, 0, 520, 1200), "half-body", "chest up at a podium"),
    ("obama3_knees_up", "face_recognition/obama3.jpg", (0, 0, 1380, 2333), "half-body", "knees up, standing"),
    ("biden_thighs_up", "face_recognition/biden.jpg", None, "half-body", "thighs up, arms crossed"),
    ("zidane_ancelotti_waist_up", "ultralytics/zidane.jpg", (755, 30, 1180, 720), "half-body", "waist up"),
    ("t1_joey_waist_up", "insightface/t1.jpg", (860, 0, 1125, 430), "half-body", "waist up"),
    ("obama_head_shoulders", "face_recognition/obama.jpg", (250, 0, 720, 560), "close-up", "head and shoulders"),
    ("biden_head_shoulders", "face_recognition/biden.jpg", (300, 80, 880, 780), "close-up", "head and shoulders"),
    ("astronaut", "skimage:astronaut.png", None, "close-up", "head and shoulders"),
    ("grace_hopper", "matplotlib:grace_hopper.jpg", None, "close-up", "head and shoulders"),
    ("obama2_head", "face_recognition/obama2.jpg", (60, 60, 520, 600), "close-up", "head and shoulders"),
]
NO_PEOPLE_PACKAGES = [
    "skimage:motorcycle_left.png", "skimage:hubble_deep_field.jpg", "skimage:moon.png", "skimage:ihc.png",
    "skimage:retina.jpg", "skimage:grass.png", "opencv/hfs_000.jpg", "opencv/hfs_001.jpg", "opencv/hfs_002.jpg",
]
# Used only when ../shared/faces is absent (it has them already).
NO_PEOPLE_FALLBACK = ["skimage:chelsea.png", "skimage:coffee.png", "skimage:rocket.jpg", "skimage:horse.png"]
OBAMA = ["obama.jpg", "obama2.jpg", "obama3.jpg", "obama_partial_face.jpg", "obama_partial_face2.jpg"]


class Builder:
    def __init__(self, photos: Path, out: Path):
        self.photos, self.out = photos, out
        self.truth = {"schema": 1, "generator": "benchmarks/person_accuracy/make_sets.py", "sources": SOURCES,
                      "photos_folder": str(photos), "min_long_side": MIN_LONG_SIDE, "jpeg_quality": QUALITY, "photos": {}}

    def path(self, ref: str) -> Path:
        if ref.startswith("skimage:"):
            return SKIMAGE / ref.split(":", 1)[1]
        if ref.startswith("matplotlib:"):
            return MPL / ref.split(":", 1)[1]
        if ref.startswith("shared:"):
            return SHARED_FACES / ref.split(":", 1)[1]
        return self.photos / ref

    def open(self, ref: str) -> Image.Image:
        image = Image.open(self.path(ref))
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, "white")
            flat.paste(image, mask=image.getchannel("A"))
            return flat
        return image.convert("RGB")

    def record(self, category: str, name: str, entry: dict):
        entry = {"category": category, **entry}
        self.truth["photos"][f"{category}/{name}"] = entry

    def save(self, category: str, name: str, image: Image.Image, entry: dict, exif_orientation: int = 1):
        folder = self.out / category
        folder.mkdir(parents=True, exist_ok=True)
        upright_size = image.size
        if exif_orientation != 1:
            exif = Image.Exif()
            exif[0x0112] = exif_orientation
            # Stored pixels are turned so that applying the tag gives the upright photo back.
            stored = image.transpose(Image.Transpose.ROTATE_90 if exif_orientation == 6 else Image.Transpose.ROTATE_270)
            stored.save(folder / name, "JPEG", quality=QUALITY, exif=exif.tobytes())
        else:
            image.save(folder / name, "JPEG", quality=QUALITY)
        entry.setdefault("size", list(upright_size))
        entry["exif_orientation"] = exif_orientation
        self.record(category, name, entry)

    def copy(self, category: str, name: str, ref: str, entry: dict):
        folder = self.out / category
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path(ref), folder / name)
        with Image.open(folder / name) as image:
            entry.setdefault("size", list(image.size))
        entry.setdefault("source", ref)
        entry["copied"] = True
        self.record(category, name, entry)

    def crop(self, ref: str, box, upscale: bool = True):
        image = self.open(ref)
        if box is not None:
            image = image.crop(box)
        scale = 1.0
        if upscale and max(image.size) < MIN_LONG_SIDE:
            scale = MIN_LONG_SIDE / max(image.size)
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        return image, {"source": ref, "crop": list(box) if box else None, "upscale": round(scale, 4)}

    # -- categories ---------------------------------------------------------------------------

    def placed(self):
        for orientation, (width, height) in (("landscape", (4032, 3024)), ("portrait", (3024, 4032))):
            for person in PORTRAITS:
                for percent in PLACED_PERCENTS:
                    image, entry = self.place(person, percent, width, height)
                    self.save(f"placed-{orientation}", f"{person}_{percent:02d}pct.jpg", image, entry)
        for person, percent, orientation, tag in PLACED_EXIF:
            size = (4032, 3024) if orientation == "landscape" else (3024, 4032)
            image, entry = self.place(person, percent, *size)
            entry["note"] = f"stored turned, EXIF Orientation {tag}; size and box are after orientation"
            self.save("placed-exif", f"{person}_{percent:02d}pct_{orientation}_exif{tag}.jpg", image, entry, exif_orientation=tag)

    def place(self, person: str, percent: int, width: int, height: int):
        """The portrait scaled so its face box is `percent` of the frame's height, its face centred
        across, its bottom on the frame's bottom (or lower, if the face would leave the frame), on
        a neutral gradient from the portrait's own border colours, with feathered edges."""
        ref, (fx, fy, fw, fh) = PORTRAITS[person]
        source = self.open(ref)
        scale = percent / 100 * height / fh
        scaled = source.resize((round(source.width * scale), round(source.height * scale)), Image.Resampling.LANCZOS)
        arr = np.asarray(source, dtype=np.float32)
        top_colour, bottom_colour = arr[:8].reshape(-1, 3).mean(0), arr[-8:].reshape(-1, 3).mean(0)
        grey = np.array([128.0, 128.0, 128.0])
        top_colour, bottom_colour = (top_colour + grey) / 2, (bottom_colour + grey) / 2  # muted
        t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        background = (top_colour * (1 - t) + bottom_colour * t) * np.ones((1, width, 1), dtype=np.float32)
        noise = np.random.default_rng(percent * 1000 + width).normal(0, 3, background.shape).astype(np.float32)
        frame = Image.fromarray(np.clip(background + noise, 0, 255).astype(np.uint8))
        face_cx = (fx + fw / 2) * scale
        left = round(width / 2 - face_cx)
        top = height - scaled.height
        face_top = top + fy * scale
        if face_top < 0.08 * height:  # keep the whole face in the frame, with some room above
            top += round(0.08 * height - face_top)
        feather = max(4, round(min(scaled.size) * 0.04))
        mask = Image.new("L", scaled.size, 0)
        mask.paste(255, (feather, feather, scaled.width - feather, scaled.height - (feather if top + scaled.height < height else 0)))
        mask = mask.filter(ImageFilter.GaussianBlur(feather / 2))
        frame.paste(scaled, (left, top), mask)
        box = [round(left + fx * scale), round(top + fy * scale), round(fw * scale), round(fh * scale)]
        entry = {"source": ref, "people": 1, "boxes": [box], "face_percent_of_height": percent,
                 "placement": {"frame": [width, height], "scale": round(scale, 4), "offset": [left, top],
                               "source_face_box": [fx, fy, fw, fh]},
                 "forbid": ["no-face", "several-people"], "expect": []}
        return frame, entry

    def three_quarter(self):
        for name, ref, box, note in THREE_QUARTER:
            image, entry = self.crop(ref, box)
            entry.update(people=1, note=note, framing="half-body", forbid=["no-face", "several-people"], expect=[])
            self.save("three-quarter", f"{name}.jpg", image, entry)

    def group_cut(self):
        for name, ref, box, people, note in GROUP_CUT:
            image, entry = self.crop(ref, box)
            entry.update(people=people, note=note, expect=["several-people"], forbid=[])
            self.save("group-cut", f"{name}.jpg", image, entry)

    def framing(self):
        for name, ref, box, framing, note in FRAMING:
            image, entry = self.crop(ref, box)
            entry.update(people=1, framing=framing, note=note, forbid=["no-face", "several-people"], expect=[])
            self.save(framing, f"{name}.jpg", image, entry)
        if SHARED_FACES.is_dir():  # its single/ portraits that its truth.csv calls plainly ok
            for row in self.shared_rows():
                if row["file"].startswith("single/") and row["expected_verdict"] == "ok":
                    name = "shared_" + Path(row["file"]).name
                    if name in ("shared_skimage_astronaut.png",):
                        continue  # the same photo as skimage's astronaut above
                    self.copy("close-up", name, "shared:" + row["file"],
                              {"people": 1, "framing": "close-up", "note": row["notes"], "forbid": ["no-face", "several-people"], "expect": []})

    def shared_rows(self):
        with open(SHARED_FACES / "truth.csv", newline="") as f:
            return list(csv.DictReader(f))

    def no_people(self):
        refs = list(NO_PEOPLE_PACKAGES)
        if SHARED_FACES.is_dir():
            refs += ["shared:" + row["file"] for row in self.shared_rows()
                     if row["file"].startswith("none/") and row["people"] == "0" and (SHARED_FACES / row["file"]).exists()]
        else:
            refs += NO_PEOPLE_FALLBACK
        for ref in refs:
            prefix = ref.split(":")[0] if ":" in ref else ref.split("/")[0]
            name = f"{prefix}_{Path(ref).name}"
            self.copy("no-people", name, ref, {"people": 0, "boxes": [], "forbid": [], "expect": [], "max_faces": 0})

    def dlib_labelled(self):
        boxes = {}
        for xml in ("training.xml", "testing.xml"):
            for image in ET.parse(self.photos / "dlib/faces" / xml).getroot().iter("image"):
                for b in image.iter("box"):
                    if b.get("ignore") == "1":
                        continue
                    boxes.setdefault(image.get("file"), []).append(
                        [int(b.get("left")), int(b.get("top")), int(b.get("width")), int(b.get("height"))])
        for file, labelled in sorted(boxes.items()):
            self.copy("dlib-labelled", file, f"dlib/faces/{file}",
                      {"people": len(labelled), "boxes": labelled, "labels": "dlib examples/faces training.xml + testing.xml",
                       "expect": ["several-people"] if len(labelled) > 1 else [], "forbid": []})

    def identity(self):
        """One folder per person and stranger: all that person's photos plus one photo of someone
        else (photos as they are, not upscaled). Two strangers per John (the next two Johns in order), and Biden and a John for Obama."""
        johns_dir = self.photos / "dlib/johns"
        johns = sorted(p.name for p in johns_dir.iterdir() if p.is_dir())
        photos = {j: sorted(p.name for p in (johns_dir / j).glob("*.jpg")) for j in johns}
        groups = []
        for i, person in enumerate(johns):
            own = [f"dlib/johns/{person}/{f}" for f in photos[person]]
            for k in (1, 2):
                other = johns[(i + k) % len(johns)]
                groups.append((person, own, f"dlib/johns/{other}/{photos[other][k]}", other))
        obama = [f"face_recognition/{f}" for f in OBAMA]
        groups.append(("Obama", obama, "face_recognition/biden.jpg", "Biden"))
        groups.append(("Obama", obama, f"dlib/johns/{johns[0]}/{photos[johns[0]][0]}", johns[0]))
        for person, own, stranger, stranger_name in groups:
            folder = f"identity/{person}+{stranger_name}"
            for ref in own:
                entry = {"people": 1, "person": person, "stranger": False, "identity_group": folder, "forbid": ["different-person"], "expect": []}
                if ref.endswith("obama2.jpg"):
                    image, crop = self.crop(ref, (0, 0, 520, 1200), upscale=False)
                    entry.update(crop, note="cropped to leave out a cut-off face at the right edge")
                    self.save(folder, Path(ref).name, image, entry)
                else:
                    self.copy(folder, Path(ref).name, ref, entry)
            self.copy(folder, "stranger_" + Path(stranger).name, stranger,
                      {"people": 1, "person": stranger_name, "stranger": True, "identity_group": folder, "expect": ["different-person"], "forbid": []})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, default=Path(os.environ.get("TUNEPREP_TEST_PHOTOS", Path.home() / ".cache/tuneprep/test-photos")))
    parser.add_argument("--out", type=Path, default=Path.home() / ".cache/tuneprep/person-eval")
    args = parser.parse_args()
    missing = [d for d in ("face_recognition/obama.jpg", "dlib/.installed", "insightface/.installed", "ultralytics/.installed", "opencv/.installed")
               if not (args.photos / d).exists()]
    if missing or not SKIMAGE.is_dir() or not MPL.is_dir():
        sys.exit(f"make_sets.py: test photos missing ({', '.join(missing) or 'skimage/matplotlib data'}): run scripts/install-test-photos.sh")
    if args.out.resolve().is_relative_to(ROOT):
        sys.exit("make_sets.py: --out must be outside the repository (photos are never copied into it)")
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    builder = Builder(args.photos, args.out)
    builder.placed()
    builder.three_quarter()
    builder.group_cut()
    builder.framing()
    builder.no_people()
    builder.dlib_labelled()
    builder.identity()
    if not SHARED_FACES.is_dir():
        builder.truth["note"] = f"{SHARED_FACES} absent: no-people and close-up use package photos only"
    with open(args.out / "truth.json", "w") as f:
        json.dump(builder.truth, f, indent=1, sort_keys=True)
    counts = {}
    for entry in builder.truth["photos"].values():
        key = "identity" if entry["category"].startswith("identity/") else entry["category"]
        counts[key] = counts.get(key, 0) + 1
    for key, n in counts.items():
        print(f"{key:18} {n:4} photos")
    print(f"evaluation sets in {args.out}")


if __name__ == "__main__":
    main()
