#!/usr/bin/env python3
"""Every public declaration of the libraries has a `///` doc comment: lists those that do not.

    python3 scripts/check-docs.py [PATH_PREFIX]    # default Sources/; exit 1 when any is missing

The command-line target (Sources/tuneprep) is left out: its types are not an API. Codable
conformances (`init(from:)`, `encode(to:)`) and `description` are documented by their protocols.
"""
import glob, os, re, sys
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
prefix = sys.argv[1] if len(sys.argv) > 1 else "Sources/"
missing = []
for f in sorted(glob.glob("Sources/**/*.swift", recursive=True)):
    if "/tuneprep/" in f or not f.startswith(prefix):
        continue
    lines = open(f).read().split("\n")
    for i, l in enumerate(lines):
        s = l.strip()
        if re.match(r"(@\w+(\([^)]*\))?\s+)*public\s", s) and not s.startswith("public init(from decoder") \
                and "func encode(to" not in s and "var description" not in s:
            j = i - 1
            while j >= 0 and lines[j].strip().startswith("@"):
                j -= 1
            if j < 0 or not (lines[j].strip().startswith("///") or lines[j].strip().endswith("*/")):
                missing.append(f"{f}:{i+1}: {s[:100]}")
if missing:
    print("\n".join(missing))
print(f"check-docs: {len(missing)} undocumented public declarations under {prefix}", file=sys.stderr)
sys.exit(1 if missing else 0)
