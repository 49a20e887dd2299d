#!/usr/bin/env python3
"""Mutation fuzzing of `tuneprep check` (run through scripts/fuzz.sh, which builds the binary).

Mutates seed photos (bit flips, byte sets, truncation, segment/chunk/box length corruption,
splices, huge declared dimensions), runs them through `tuneprep check` in batches under a memory
cap and a deadline, and saves every input that crashes it, hangs it, trips a sanitizer, goes
over the memory cap or is left out of the report, with a reproducer. Deterministic for a seed.
"""
import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

FORMATS = ("jpeg", "png", "heif", "webp")
SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:", b"UndefinedBehaviorSanitizer",
                   b"Fatal error", b"SUMMARY: ")


def sniff(data):
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc", b"hevx", b"mif2"):
        return "heif"
    return None


def load_seeds(paths, max_bytes):
    seeds = {f: [] for f in FORMATS}
    for root in paths:
        if not os.path.exists(root):
            continue
        files = [root] if os.path.isfile(root) else [os.path.join(d, n) for d, _, ns in sorted(os.walk(root)) for n in sorted(ns)]
        for path in files:
            try:
                if os.path.getsize(path) > max_bytes or not os.path.isfile(path):
                    continue
                data = open(path, "rb").read()
            except OSError:
                continue
            fmt = sniff(data)
            if fmt:
                seeds[fmt].append(data)
    return seeds


def extra_webp_seeds():
    """WebP seeds made with Pillow when it is installed (the corpus holds one WebP)."""
    try:
        from PIL import Image
    except ImportError:
        return []
    import io
    out = []
    base = Image.new("RGB", (96, 64))
    for x in range(96):
        for y in range(64):
            base.putpixel((x, y), (x * 2, y * 3, (x * y) & 255))
    for kwargs, mode in (({"quality": 80}, "RGB"), ({"lossless": True}, "RGB"), ({"quality": 70}, "RGBA"), ({"lossless": True}, "RGBA")):
        buf = io.BytesIO()
        base.convert(mode).save(buf, "WEBP", **kwargs)
        out.append(buf.getvalue())
    frames = [base, base.transpose(Image.FLIP_LEFT_RIGHT)]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    out.append(buf.getvalue())
    return out


# --- structure-aware locations -------------------------------------------------------------

def png_chunks(data):
    """(offset of length field, length, type) of each chunk."""
    out, off = [], 8
    while off + 8 <= len(data):
        length = struct.unpack(">I", data[off:off + 4])[0]
        out.append((off, length, bytes(data[off + 4:off + 8])))
        off += 12 + length
        if length > len(data):
            break
    return out


def jpeg_segments(data):
    """(offset of length field, marker) of each marker segment with a length."""
    out, off = [], 2
    while off + 4 <= len(data):
        if data[off] != 0xFF:
            break
        marker = data[off + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            off += 2
            continue
        if marker == 0xD9:
            break
        length = struct.unpack(">H", data[off + 2:off + 4])[0]
        out.append((off + 2, marker))
        if marker == 0xDA:
            break
        off += 2 + length
    return out


def iso_boxes(data):
    """Offsets of the 4-byte size fields of known ISO-BMFF boxes (anywhere in the file)."""
    out = []
    for name in (b"ftyp", b"meta", b"hdlr", b"pitm", b"iloc", b"iinf", b"infe", b"iprp", b"ipco", b"ipma", b"ispe",
                 b"hvcC", b"colr", b"irot", b"imir", b"iref", b"mdat", b"idat", b"pixi", b"auxC", b"clap"):
        start = 0
        while True:
            i = data.find(name, start)
            if i < 4:
                break
            out.append(i - 4)
            start = i + 4
    return out


def riff_chunks(data):
    out, off = [4], 12  # the RIFF size, then each chunk's size field
    while off + 8 <= len(data):
        out.append(off + 4)
        size = struct.unpack("<I", data[off + 4:off + 8])[0]
        off += 8 + size + (size & 1)
    return out


INTERESTING32 = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x10000, 0x3FFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)
HUGE_SIDES = (0, 1, 65500, 65535, 1 << 20, (1 << 20) + 1, 100000, 0x7FFFFFFF, 0xFFFFFFFF, 16383, 16384)


def fix_png_crc(data, off):
    length = struct.unpack(">I", data[off:off + 4])[0]
    end = off + 8 + length
    if end + 4 <= len(data):
        data[end:end + 4] = struct.pack(">I", zlib.crc32(bytes(data[off + 4:end])) & 0xFFFFFFFF)


def corrupt_length(rng, data, fmt):
    if fmt == "png":
        chunks = png_chunks(data)
        if chunks:
            off, length, _ = rng.choice(chunks)
            value = rng.choice(INTERESTING32 + (length + 1, max(0, length - 1), length * 2, length + rng.randint(1, 4096)))
            data[off:off + 4] = struct.pack(">I", value & 0xFFFFFFFF)
            return
    if fmt == "jpeg":
        segments = jpeg_segments(data)
        if segments:
            off, _ = rng.choice(segments)
            data[off:off + 2] = struct.pack(">H", rng.choice((0, 1, 2, 3, 0x7FFF, 0xFFFF, rng.randint(0, 0xFFFF))))
            return
    if fmt == "heif":
        boxes = iso_boxes(data)
        if boxes:
            off = rng.choice(boxes)
            data[off:off + 4] = struct.pack(">I", rng.choice(INTERESTING32 + (rng.randint(0, len(data) * 2),)))
            return
    if fmt == "webp":
        fields = [o for o in riff_chunks(data) if o + 4 <= len(data)]
        if fields:
            off = rng.choice(fields)
            data[off:off + 4] = struct.pack("<I", rng.choice(INTERESTING32 + (rng.randint(0, len(data) * 2),)))
            return
    bit_flips(rng, data)


def huge_dimensions(rng, data, fmt):
    w, h = rng.choice(HUGE_SIDES), rng.choice(HUGE_SIDES)
    if fmt == "png" and len(data) >= 33:
        data[16:24] = struct.pack(">II", w, h)
        fix_png_crc(data, 8)  # a valid CRC, so the dimensions themselves are what is tested
        return
    if fmt == "jpeg":
        for off, marker in jpeg_segments(data):
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and off + 7 <= len(data):
                data[off + 3:off + 7] = struct.pack(">HH", h & 0xFFFF, w & 0xFFFF)
                return
    if fmt == "heif":
        i = data.find(b"ispe")
        if i >= 0 and i + 16 <= len(data):
            data[i + 8:i + 16] = struct.pack(">II", w, h)
            return
    if fmt == "webp":
        i = data.find(b"VP8X")
        if i >= 0 and i + 18 <= len(data):
            data[i + 12:i + 15] = struct.pack("<I", w & 0xFFFFFF)[:3]
            data[i + 15:i + 18] = struct.pack("<I", h & 0xFFFFFF)[:3]
            return
        i = data.find(b"VP8 ")
        if i >= 0 and i + 20 <= len(data):
            data[i + 14:i + 18] = struct.pack("<HH", w & 0x3FFF, h & 0x3FFF)
            return
        i = data.find(b"VP8L")
        if i >= 0 and i + 13 <= len(data):
            bits = ((w - 1) & 0x3FFF) | (((h - 1) & 0x3FFF) << 14) | (struct.unpack("<I", data[i + 9:i + 13])[0] & 0xF0000000)
            data[i + 9:i + 13] = struct.pack("<I", bits)
            return
    bit_flips(rng, data)


def bit_flips(rng, data):
    for _ in range(rng.choice((1, 1, 2, 4, 8, 16))):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)


def byte_sets(rng, data):
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.choice((0, 0xFF, 0x7F, 0x80, 0x01, rng.randrange(256)))


def truncate(rng, data):
    cut = rng.choice((rng.randrange(len(data)), rng.randrange(min(len(data), 256)), len(data) - rng.randint(1, 16)))
    del data[max(0, cut):]


def splice(rng, data, others):
    other = rng.choice(others)
    a, b = rng.randrange(len(data)), rng.randrange(len(other))
    data[a:] = other[b:]


def mutate(rng, seed, fmt, others):
    data = bytearray(seed)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not data:
            break
        kind = rng.choice(("flip", "flip", "set", "truncate", "length", "length", "splice", "huge"))
        if kind == "flip":
            bit_flips(rng, data)
        elif kind == "set":
            byte_sets(rng, data)
        elif kind == "truncate":
            truncate(rng, data)
        elif kind == "length":
            corrupt_length(rng, data, fmt)
        elif kind == "splice":
            splice(rng, data, others)
        else:
            huge_dimensions(rng, data, fmt)
    return bytes(data)


# --- running --------------------------------------------------------------------------------

class Runner:
    def __init__(self, args):
        self.args = args
        self.env = dict(os.environ)
        # Sanitizers: abort on the first report; the RSS cap is the sanitizer's own (ulimit -v
        # cannot be used with ASan, which reserves terabytes of address space for its shadow).
        self.env["ASAN_OPTIONS"] = "abort_on_error=1:detect_leaks=0:allocator_may_return_null=1:hard_rss_limit_mb=%d" % args.mem_mb
        self.env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"

    def limits(self):
        if not self.args.sanitized:
            cap = self.args.mem_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()

    def check(self, paths, deadline):
        """Runs `check` on `paths`; returns (verdict, detail, peak_kb, stdout)."""
        command = [self.args.binary, "check", "--json", "--quiet", "--min-images", "0", "--min-side", "1",
                   "--workers", str(self.args.workers)] + paths
        started = time.monotonic()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env, preexec_fn=self.limits)
            status, usage = None, None
            while True:
                pid, raw, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    status = raw
                    break
                if time.monotonic() - started > deadline:
                    os.killpg(process.pid, signal.SIGKILL)
                    _, status, usage = os.wait4(process.pid, 0)
                    process.returncode = -9
                    out.seek(0)
                    return "hang", "no answer in %.0f s" % deadline, usage.ru_maxrss, b""
                time.sleep(0.01)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        peak = usage.ru_maxrss
        if os.WIFSIGNALED(status):
            return "crash", "signal %d\n" % os.WTERMSIG(status) + stderr[-4000:].decode("utf-8", "replace"), peak, stdout
        code = os.WEXITSTATUS(status)
        if any(mark in stderr for mark in SANITIZER_MARKS):
            return "sanitizer", stderr[-8000:].decode("utf-8", "replace"), peak, stdout
        if code not in (0, 1):
            what = "over-memory" if b"allocate" in stderr or b"memory" in stderr else "crash"
            return what, "exit %d\n" % code + stderr[-4000:].decode("utf-8", "replace"), peak, stdout
        if not self.args.sanitized and peak > self.args.mem_mb * 1024 * 0.9:
            return "over-memory", "peak %d MB" % (peak // 1024), peak, stdout
        try:
            reported = len(json.loads(stdout)["images"])
        except (ValueError, KeyError):
            return "bad-report", "stdout is not a manifest", peak, stdout
        if reported != len(paths):
            return "dropped", "%d inputs, %d in the report" % (len(paths), reported), peak, stdout
        return "ok", "", peak, stdout


def save(args, kind, data, detail, fmt):
    digest = hashlib.sha1(data).hexdigest()[:16]
    folder = os.path.join(args.out, "findings", "%s-%s-%s" % (kind, fmt, digest))
    if os.path.exists(folder):
        return folder
    os.makedirs(folder)
    name = "input." + {"jpeg": "jpg", "png": "png", "heif": "heic", "webp": "webp"}[fmt]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "detail.txt"), "w") as f:
        f.write(detail)
    with open(os.path.join(folder, "reproduce.sh"), "w") as f:
        f.write("#!/usr/bin/env bash\n# %s: %s\n" % (kind, detail.splitlines()[0] if detail else ""))
        f.write("# Memory cap used: %d MB%s\n" % (args.mem_mb, " (ASan hard_rss_limit_mb)" if args.sanitized else " (ulimit -v)"))
        if not args.sanitized:
            f.write("ulimit -v %d\n" % (args.mem_mb * 1024))
        f.write("exec %s check --json --quiet --min-images 0 --min-side 1 \"$(dirname \"$0\")/%s\"\n" % (os.path.abspath(args.binary), name))
    os.chmod(os.path.join(folder, "reproduce.sh"), 0o755)
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seeds", nargs="+", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--minutes", type=float, default=1.0, help="per format")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mem-mb", type=int, default=2048)
    parser.add_argument("--timeout", type=float, default=10, help="seconds a file may take (a batch: batch x this)")
    parser.add_argument("--max-seed-bytes", type=int, default=4 << 20)
    parser.add_argument("--sanitized", action="store_true", help="the binary was built with ASan/UBSan")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    seeds = load_seeds(args.seeds, args.max_seed_bytes)
    seeds["webp"] += extra_webp_seeds()
    runner = Runner(args)
    summary = {"binary": args.binary, "seed": args.seed, "sanitized": args.sanitized, "mem_mb": args.mem_mb, "formats": {}}
    failures = 0
    work = tempfile.mkdtemp(prefix="tuneprep-fuzz-")
    try:
        for fmt in args.formats.split(","):
            pool = seeds.get(fmt) or []
            if not pool:
                print("%s: no seeds, skipped" % fmt, flush=True)
                continue
            rng = random.Random("%d-%s" % (args.seed, fmt))
            execs, batches, peak, started = 0, 0, 0, time.monotonic()
            counts = {}
            # A HEIF takes about a second in a debug build: smaller batches keep to the time given.
            batch = max(4, args.batch // 4) if fmt == "heif" else args.batch
            while time.monotonic() - started < args.minutes * 60:
                inputs = []
                for i in range(batch):
                    data = mutate(rng, rng.choice(pool), fmt, pool)
                    path = os.path.join(work, "%04d-%d" % (batches, i))
                    with open(path, "wb") as f:
                        f.write(data)
                    inputs.append((path, data))
                verdict, detail, batch_peak, _ = runner.check([p for p, _ in inputs], args.timeout * batch)
                execs += len(inputs)
                batches += 1
                peak = max(peak, batch_peak)
                if verdict != "ok":
                    # Find the input(s) responsible, one at a time.
                    for path, data in inputs:
                        one, one_detail, _, _ = runner.check([path], args.timeout)
                        execs += 1
                        if one != "ok":
                            failures += 1
                            counts[one] = counts.get(one, 0) + 1
                            print("%s: %s -> %s" % (fmt, one, save(args, one, data, one_detail, fmt)), flush=True)
                    if verdict in ("hang", "over-memory") and not counts:
                        failures += 1
                        counts["batch-" + verdict] = counts.get("batch-" + verdict, 0) + 1
                        print("%s: a batch %s, no single input does: %s" % (fmt, verdict, detail), flush=True)
                for path, _ in inputs:
                    os.unlink(path)
            elapsed = time.monotonic() - started
            summary["formats"][fmt] = {"executions": execs, "seconds": round(elapsed, 1), "per_second": round(execs / elapsed, 2),
                                       "seeds": len(pool), "peak_mb": peak // 1024, "findings": counts}
            print("%s: %d executions in %.0f s (%.2f/s), %d seeds, peak %d MB, findings %s" % (
                fmt, execs, elapsed, execs / elapsed, len(pool), peak // 1024, counts or "none"), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
