#!/usr/bin/env python3
"""Would OpenCV's built-in people detector (HOG + linear SVM, no model file) frame photos better
than TunePrep's rule on the face's place? Runs it on the framing categories of the evaluation sets
(benchmarks/person_accuracy/make_sets.py) at TunePrep's 640 px and prints, per category, how many
photos it finds a person in, and its CPU time. Needs Debian's python3-opencv; run with
/usr/bin/python3 (benchmarks/person_peers/install.sh installs it).
"""
import glob
import os
import sys
import time

import cv2

sets = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/tuneprep/person-eval")
hog = cv2.HOGDescriptor()
hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
cv2.setNumThreads(1)
print("| category | photos | a person found | CPU ms/photo |\n| --- | ---: | ---: | ---: |")
for category in ["full-body", "half-body", "close-up", "placed-landscape", "placed-portrait"]:
    found = photos = 0
    seconds = 0.0
    for path in sorted(glob.glob(os.path.join(sets, category, "*.jpg"))):
        image = cv2.imread(path)
        scale = 640 / max(image.shape[:2])
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        start = time.process_time()
        boxes, _ = hog.detectMultiScale(image, winStride=(8, 8), padding=(8, 8), scale=1.05)
        seconds += time.process_time() - start
        photos += 1
        found += len(boxes) > 0
    if photos:
        print(f"| {category} | {photos} | {found} | {1000 * seconds / photos:.0f} |")
