#!/usr/bin/env python3
"""Proves that the apt list(s) provide every library and header folder Package.swift links.

    python3 scripts/check-install-lists.py [--list FILE]... [--manifest DUMP.json]
    python3 scripts/check-install-lists.py --self-test

Run after the list's packages are installed and before `swift build`. From the pkg-config
modules of the system-library targets, the `linkedLibrary`s and the header search paths that
lead out of the package, it takes every `-lNAME` (as the file the linker would take), absolute
library path, `-I` folder and `.pc` file; finds the Debian package that owns each (following
unowned and alternatives symlinks to the package owning the final target); and checks that
package is in what apt would install from the list on a machine that has nothing (`apt-get -s`
against an empty dpkg status, --no-install-recommends, so only the first alternative of each
dependency counts, as on a fresh machine).

Exit 0: all provided. Exit 1: a problem each line (library, file, owning package). Exit 2: usage
or tool error (no swift/pkg-config/dpkg, apt lists never updated, ...).
"""
import argparse, copy, glob, json, os, platform, re, shlex, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LIST = os.path.join(ROOT, "scripts", "deps", "apt-build.txt")
LIB_FILE = re.compile(r"\.(so(\.\d+)*|a)$")


class ToolError(Exception):
    """A tool is missing or failed in a way that says nothing about the lists: exit 2."""


def run(cmd, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, **kw)
    except FileNotFoundError:
        raise ToolError(f"{cmd[0]} not found (is it installed and on PATH?)")


def inside_package(path):
    p = os.path.abspath(path)
    return p == ROOT or p.startswith(ROOT + os.sep)


def rel(path):
    """Paths inside the package are shown relative to it, as a reader would type them."""
    return os.path.relpath(path, ROOT) if inside_package(path) else path


# --- The manifest: what the build links -------------------------------------------------------

def dump_manifest():
    # A throwaway scratch path: dump-package only evaluates the manifest (no resolution, no
    # network), and this way it neither waits for nor touches a build holding .build's lock.
    with tempfile.TemporaryDirectory(prefix="check-install-lists-") as scratch:
        r = run(["swift", "package", "--package-path", ROOT, "--scratch-path", scratch,
                 "dump-package"])
    if r.returncode != 0:
        raise ToolError("swift package dump-package failed:\n" + r.stderr.strip())
    return json.loads(r.stdout)


def applies_to_linux(setting):
    names = (setting.get("condition") or {}).get("platformNames") or []
    return not names or "linux" in names


def apt_providers(target):
    """The Debian package names of a system library's `providers: [.apt([...])]`."""
    names = []

    def flatten(v):
        if isinstance(v, str):
            names.append(v)
        elif isinstance(v, list):
            for x in v:
                flatten(x)
        elif isinstance(v, dict):
            for x in v.values():
                flatten(x)
    for p in target.get("providers") or []:
        if isinstance(p, dict) and "apt" in p:
            flatten(p["apt"])
    return names


def manifest_inputs(manifest):
    """(pkg-config modules [(module, target, providers)], linker flags [(flag, target)],
    header folders [(folder, target)])."""
    modules, flags, headers = [], [], []
    for t in manifest.get("targets", []):
        if t.get("type") == "system" and t.get("pkgConfig"):
            modules.append((t["pkgConfig"], t["name"], apt_providers(t)))
        folder = os.path.join(ROOT, t.get("path") or os.path.join(
            "Tests" if t.get("type") == "test" else "Sources", t["name"]))
        for s in t.get("settings") or []:
            if not applies_to_linux(s):
                continue
            kind = s.get("kind") or {}
            if s.get("tool") == "linker" and "linkedLibrary" in kind:
                flags.append(("-l" + kind["linkedLibrary"]["_0"], t["name"]))
            elif s.get("tool") == "linker" and "unsafeFlags" in kind:
                flags += [(f, t["name"]) for f in kind["unsafeFlags"]["_0"]]
            elif "headerSearchPath" in kind:
                # Inside the target's folder, but it may be a link to a system folder.
                headers.append((os.path.join(folder, kind["headerSearchPath"]["_0"]), t["name"]))
            elif "unsafeFlags" in kind:
                fl = kind["unsafeFlags"]["_0"]
                for i, f in enumerate(fl):
                    if f in ("-I", "-isystem") and i + 1 < len(fl):
                        headers.append((fl[i + 1], t["name"]))
                    elif f.startswith("-I") or f.startswith("-isystem"):
                        headers.append((f[8:] if f.startswith("-isystem") else f[2:], t["name"]))
    return modules, flags, headers


# --- The toolchain's defaults -----------------------------------------------------------------

def _has(tool):
    return any(os.access(os.path.join(d, tool), os.X_OK)
               for d in os.environ.get("PATH", "").split(os.pathsep) if d)


def multiarch():
    r = run(["gcc", "-print-multiarch"]) if _has("gcc") else None
    if r and r.returncode == 0 and r.stdout.strip():
        return r.stdout.strip()
    return platform.machine() + "-linux-gnu"


def unique_existing_dirs(dirs):
    out, seen = [], set()
    for d in dirs:
        d = os.path.normpath(d)
        key = os.path.realpath(d)
        if os.path.isdir(d) and key not in seen:
            seen.add(key)
            out.append(d)
    return out


def default_link_dirs(ma):
    """The linker's search path after the -L dirs: the compiler driver's own -L list (what gcc
    and clang pass), then ld's built-in SEARCH_DIRs."""
    dirs = []
    if _has("gcc"):
        r = run(["gcc", "-print-search-dirs"])
        for line in r.stdout.splitlines():
            if line.startswith("libraries:"):
                dirs += line.split("=", 1)[1].split(":")
    if _has("ld"):
        r = run(["ld", "--verbose"])
        dirs += [d.lstrip("=") for d in re.findall(r'SEARCH_DIR\("([^"]+)"\)', r.stdout)]
    # Whatever the tools said, the multiarch folders are where Debian puts libraries.
    dirs += [f"/lib/{ma}", f"/usr/lib/{ma}", "/lib", "/usr/lib"]
    return unique_existing_dirs(dirs)


def default_include_dirs(ma):
    """The compiler's own include folders: a -I for one of them needs no package of its own."""
    dirs = []
    for lang in ("c", "c++"):
        if not _has("gcc"):
            break
        r = run(["gcc", "-x" + lang, "-E", "-v", "-"], stdin=subprocess.DEVNULL)
        inside = False
        for line in r.stderr.splitlines():
            if line.startswith("#include <...> search starts here"):
                inside = True
            elif line.startswith("End of search list"):
                inside = False
            elif inside:
                dirs.append(line.strip())
    dirs += ["/usr/include", "/usr/local/include", f"/usr/include/{ma}"]
    return {os.path.realpath(d) for d in dirs}


# --- pkg-config -------------------------------------------------------------------------------

def pkg_config(*args):
    r = run(["pkg-config", *args])
    return r.returncode, r.stdout, r.stderr.strip()


def pc_files(module, seen):
    """The .pc files pkg-config reads for a module: its own and its Requires (public and private,
    as pkg-config fails when any of them is missing). Yields (module, path or None, required_by)."""
    stack = [(module, None)]
    while stack:
        m, by = stack.pop()
        if m in seen:
            continue
        seen.add(m)
        rc, out, _ = pkg_config("--path", m)
        yield m, (out.strip() if rc == 0 else None), by
        if rc != 0:
            continue
        for flag in ("--print-requires", "--print-requires-private"):
            rc, out, _ = pkg_config(flag, m)
            stack += [(line.split()[0], m) for line in out.splitlines() if line.strip()]


# --- dpkg: who owns a file ------------------------------------------------------------------------

def spellings(path):
    """With merged /usr a file may be registered as /lib/... or /usr/lib/...: try both."""
    out = [path]
    m = re.match(r"^/(usr/)?(bin|sbin|lib|lib32|lib64|libx32)(/.*)$", path)
    if m:
        out.append(("/" if m.group(1) else "/usr/") + m.group(2) + m.group(3))
    return out


class Dpkg:
    def __init__(self):
        self.cache = {}

    def prefetch(self, paths):
        """One `dpkg -S` for many paths (each call reads the whole database)."""
        todo = sorted({s for p in paths if p not in self.cache for s in spellings(p)})
        found = {}
        for i in range(0, len(todo), 200):
            r = run(["dpkg", "-S", *todo[i:i + 200]])
            if r.returncode not in (0, 1):
                raise ToolError("dpkg -S failed: " + r.stderr.strip())
            for line in r.stdout.splitlines():
                if "diversion" in line or ": " not in line:
                    continue
                pkgs, p = line.split(": ", 1)
                found.setdefault(p.strip(), set()).update(
                    x.strip().split(":")[0] for x in pkgs.split(","))
        for p in paths:
            if p not in self.cache:
                self.cache[p] = sorted(set().union(*(found.get(s, set()) for s in spellings(p))))

    def owners(self, path):
        if path not in self.cache:
            self.prefetch([path])
        return self.cache[path]

    def chain(self, path):
        """(links walked, owners of the last). An unowned symlink, or one into /etc/alternatives,
        belongs to whatever owns its target: follow one link at a time."""
        links, seen = [path], {path}
        while True:
            p = links[-1]
            owners = self.owners(p)
            if not os.path.islink(p):
                return links, owners
            nxt = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
            if owners and not nxt.startswith("/etc/alternatives/"):
                return links, owners
            if nxt in seen or not os.path.lexists(nxt):
                return links + [nxt], []
            seen.add(nxt)
            links.append(nxt)


# --- apt: what the lists install on a machine that has nothing ------------------------------

def read_list(path):
    try:
        with open(path) as f:
            return [w for line in f for w in line.split("#", 1)[0].split()]
    except OSError as e:
        raise ToolError(f"cannot read {path}: {e.strerror}")


def apt_lists_dir():
    r = run(["apt-config", "shell", "D", "Dir::State::Lists/d"])
    m = re.search(r"D='([^']*)'", r.stdout)
    return m.group(1) if m else "/var/lib/apt/lists"


class AptClosure:
    """What apt installs from the lists on a machine that has nothing. apt-get -s takes seconds
    (it rebuilds its cache for the empty status), so it runs while the rest of the check does."""

    def __init__(self, lists):
        names = [n for l in lists for n in read_list(l)]
        self.names, self.packages = names, None
        # An empty dpkg status: apt resolves as on a machine with nothing, taking only the first
        # alternative of each dependency (unlike `apt-cache depends --recurse`, which takes them all).
        self.proc = subprocess.Popen(
            ["apt-get", "-s", "-o", "Dir::State::status=/dev/null", "install",
             "--no-install-recommends", *names], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**os.environ, "LC_ALL": "C"})

    def result(self):
        if self.packages is None:
            out, err = self.proc.communicate()
            if self.proc.returncode != 0:
                errors = "\n".join(l for l in (out + err).splitlines() if l.startswith("E:"))
                if not glob.glob(os.path.join(apt_lists_dir(), "*_Packages*")):
                    raise ToolError("apt has no package lists: run apt-get update first")
                raise ToolError("apt-get -s failed (a misspelt package? otherwise run apt-get "
                                "update first):\n" + (errors or err.strip()))
            inst = re.findall(r"^Inst (\S+)", out, re.M)
            self.packages = {n.split(":")[0] for n in inst + self.names}
        return self.packages


# --- The check ------------------------------------------------------------------------------------

class Context:
    """What does not depend on the lists or the manifest, computed once (the self-test runs the
    check three times)."""

    def __init__(self):
        for tool in ("pkg-config", "dpkg", "apt-get"):
            if not _has(tool):
                raise ToolError(f"{tool} not found (is it installed and on PATH?)")
        self.ma = multiarch()
        self.link_dirs = default_link_dirs(self.ma)
        self.include_dirs = default_include_dirs(self.ma)
        self.dpkg = Dpkg()
        self.closures = {}

    def closure(self, lists):
        """Starts apt on the lists (once); .result() waits for it."""
        key = tuple(lists)
        if key not in self.closures:
            self.closures[key] = AptClosure(lists)
        return self.closures[key]


class Item:
    """One thing that must come from a package: a library file, a header folder or a .pc file."""

    def __init__(self, kind, name, path):
        self.kind, self.name, self.path, self.by = kind, name, path, []
        self.links, self.owners = [path], []


def library_files(name):
    return [name[1:]] if name.startswith(":") else [f"lib{name}.so", f"lib{name}.a"]


def find_library(name, dirs):
    """The file `ld` takes for -lNAME: in each folder in turn, libNAME.so before libNAME.a
    (-l:FILE names the file exactly)."""
    for d in dirs:
        for f in library_files(name):
            p = os.path.join(d, f)
            if os.path.lexists(p):
                return p
    return None


def check(ctx, manifest, lists):
    """Returns (exit code, output lines, {item name: package})."""
    closure = ctx.closure(lists)      # apt runs meanwhile
    lists_desc = " + ".join(rel(l) for l in lists)
    does_not = "does not" if len(lists) == 1 else "do not"
    problems, items, order, unknown = [], {}, [], []

    def item(kind, name, path, by):
        # Same file under /lib and /usr/lib, or named by two targets: one item.
        key = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        if key not in items:
            items[key] = Item(kind, name, path)
            order.append(key)
        if by not in items[key].by:
            items[key].by.append(by)

    modules, flags, headers = manifest_inputs(manifest)
    lib_flags, search, inc = [], [], []      # (flag, who), -L dirs, (-I dir, who)
    seen_pc = set()
    for module, target, providers in modules:
        rc, libs, err = pkg_config("--libs", module)
        rc2, cflags, err2 = pkg_config("--cflags", module)
        if rc or rc2:
            why = (err or err2).splitlines()[0] if (err or err2) else "unknown module"
            unknown.append((module, target, providers, why))
            continue
        for m, pc, by in pc_files(module, seen_pc):
            if pc:
                item("pkg-config file", m + ".pc", pc, by or target)
            # A missing Requires shows up above as pkg-config failing for the module itself.
        toks = shlex.split(libs) + shlex.split(cflags)
        i = 0
        while i < len(toks):
            t = toks[i]
            # "-L dir" and "-I dir" may come as two words.
            if t in ("-L", "-I", "-isystem", "-l") and i + 1 < len(toks):
                t, i = t + toks[i + 1], i + 1
            if t.startswith("-l"):
                lib_flags.append((t, f"{module}.pc"))
            elif t.startswith("-L"):
                search.append(t[2:])
            elif t.startswith("-I") or t.startswith("-isystem"):
                inc.append((t[8:] if t.startswith("-isystem") else t[2:], f"{module}.pc"))
            elif t.startswith("/") and LIB_FILE.search(t):
                item("library", re.sub(r"\.(so|a).*$", "", os.path.basename(t)), t, f"{module}.pc")
            # Anything else (-pthread, -D..., -Wl,...) names no file.
            i += 1
    for f, target in flags:
        if f.startswith("-l"):
            lib_flags.append((f, target))
        elif f.startswith("-L"):
            search.append(f[2:])

    dirs = unique_existing_dirs(search) + [d for d in ctx.link_dirs
                                           if os.path.realpath(d) not in
                                           {os.path.realpath(s) for s in search}]
    for f, who in lib_flags:
        name = f[2:]
        shown = name[1:] if name.startswith(":") else "lib" + name
        path = find_library(name, dirs)
        if path is None:
            problems.append(f"{shown} ({who}): no {' or '.join(library_files(name))} in the "
                            f"linker's search path ({', '.join(dirs)})")
        else:
            item("library", shown, path, who)
    for d, who in inc + headers:
        real = os.path.realpath(d)
        if real in ctx.include_dirs or inside_package(real):
            continue
        if not os.path.isdir(d):
            print(f"check-install-lists: note: {who} adds -I{rel(d)}, which does not exist",
                  file=sys.stderr)
            continue
        # A folder of the package that is a link to a system one is followed from the link;
        # one under a linked parent folder is taken where it really is.
        start = d if os.path.islink(d) or not inside_package(d) else real
        item("header folder", "-I" + rel(d), start, who)

    ctx.dpkg.prefetch([items[k].path for k in order])
    installed = closure.result()
    does = "does" if len(lists) == 1 else "do"
    for n, (module, target, providers, why) in enumerate(unknown):
        if providers:
            hint = f"{target}'s providers name " + ", ".join(
                f"{p} (which {lists_desc} {does if p in installed else does_not} install)"
                for p in providers)
        else:
            hint = f"{target} names no apt provider"
        problems.insert(n, f"pkg-config {module} ({target}): pkg-config does not know it "
                        f"({module}.pc is missing: {why}); {hint}")
    kinds = ["library", "header folder", "pkg-config file"]
    order.sort(key=lambda k: kinds.index(items[k].kind))   # stable: manifest order within a kind
    owners_of = {}
    for k in order:
        it = items[k]
        it.links, it.owners = ctx.dpkg.chain(it.path)
        via = " -> ".join(it.links)
        label = f"{it.name} ({', '.join(it.by)})"
        if not os.path.exists(it.path):
            problems.append(f"{label}: {via} does not exist (a broken link?)")
        elif not it.owners:
            problems.append(f"{label}: {via} belongs to no Debian package (installed by hand? "
                            f"a fresh machine will not have it)")
        elif not any(o in installed for o in it.owners):
            problems.append(f"{label}: {via} belongs to {' or '.join(it.owners)}, which "
                            f"{lists_desc} {does_not} install")
        else:
            owners_of[it.name] = next(o for o in it.owners if o in installed)

    if problems:
        plural = "s" if len(problems) > 1 else ""
        lines = [f"check-install-lists: {len(problems)} problem{plural}: {lists_desc} {does_not} "
                 f"provide what Package.swift links (on a machine with nothing, apt installs "
                 f"{len(installed)} packages from {'it' if len(lists) == 1 else 'them'}):"]
        lines += ["  " + p for p in problems]
        return 1, lines, owners_of
    lines = []
    for k in order:
        it = items[k]
        alt = " (through /etc/alternatives)" if any(l.startswith("/etc/alternatives/")
                                                    for l in it.links) else ""
        lines.append(f"  {it.name} -> {owners_of[it.name]}{alt}")
    n_lib = sum(items[k].kind == "library" for k in order)
    n_inc = sum(items[k].kind == "header folder" for k in order)
    lines.append(f"check-install-lists: {n_lib} libraries and {n_inc} header folders, all "
                 f"installed by {lists_desc}")
    return 0, lines, owners_of


# --- Self-test ------------------------------------------------------------------------------------

def pick_extra_library(ctx, manifest, installed):
    """An installed package's lib*.so in the multiarch folder, which the linker would take for
    -lNAME and which the list's closure does not install: (name, package) or (None, reason)."""
    d = f"/usr/lib/{ctx.ma}"
    _, flags, _ = manifest_inputs(manifest)
    linked = {f[2:] for f, _ in flags if f.startswith("-l")}
    candidates = sorted(glob.glob(os.path.join(d, "lib*.so")))
    ctx.dpkg.prefetch(candidates)
    for p in candidates:
        name = os.path.basename(p)[3:-3]
        if name in linked or not re.fullmatch(r"[\w.+-]+", name):
            continue
        found = find_library(name, ctx.link_dirs)
        if not found or os.path.realpath(os.path.dirname(found)) != os.path.realpath(d):
            continue
        _, owners = ctx.dpkg.chain(p)
        if owners and not any(o in installed for o in owners):
            return name, owners[0]
    return None, (f"every lib*.so in {d} that belongs to a package ({len(candidates)} files) "
                  f"comes from a package the list's closure installs")


def self_test(ctx):
    failures = []

    def expect(ok, what):
        print(f"  {'ok' if ok else 'FAILED'}: {what}")
        if not ok:
            failures.append(what)

    def show(lines, rc, expected):
        # A run that went as expected shows its verdict; any other shows everything.
        for l in (lines[-1:] if rc == expected == 0 else lines):
            print("    | " + l)

    names = read_list(DEFAULT_LIST)
    tmp = tempfile.NamedTemporaryFile("w", prefix="apt-build-no-openblas-", suffix=".txt",
                                      delete=False)
    try:
        tmp.write("\n".join(n for n in names if n != "libopenblas-dev") + "\n")
        tmp.close()
        # Both apt simulations run side by side, while the manifest is read.
        ctx.closure([DEFAULT_LIST])
        ctx.closure([tmp.name])
        manifest = dump_manifest()

        print("self-test (a): the real list passes")
        rc, lines, owners = check(ctx, manifest, [DEFAULT_LIST])
        show(lines, rc, 0)
        expect(rc == 0, f"{rel(DEFAULT_LIST)} passes (exit {rc})")

        print("self-test (b): the real list without libopenblas-dev fails on libblas and liblapack")
        expect("libopenblas-dev" in names, f"{rel(DEFAULT_LIST)} names libopenblas-dev")
        rc, lines, _ = check(ctx, manifest, [tmp.name])
        show(lines, rc, 1)
        expect(rc == 1, f"exit 1 (got {rc})")
        for lib in ("libblas", "liblapack"):
            # The owner (a) found; if (a) failed before it, any OpenBLAS package will do.
            pkg = owners.get(lib, "libopenblas")
            expect(any(l.strip().startswith(lib + " ") and f"belongs to {pkg}" in l
                       for l in lines), f"a failure names {lib} and its package {pkg}")
    finally:
        os.unlink(tmp.name)

    print("self-test (c): an extra linkedLibrary from a package installed here but not by the "
          "list fails")
    name, pkg = pick_extra_library(ctx, manifest, ctx.closure([DEFAULT_LIST]).result())
    if name is None:
        print(f"  skipped: case (c) could not be exercised on this machine: {pkg}")
    else:
        extra = copy.deepcopy(manifest)
        extra["targets"].append({"name": "SelfTestExtra", "type": "regular", "settings": [
            {"tool": "linker", "kind": {"linkedLibrary": {"_0": name}}}]})
        rc, lines, _ = check(ctx, extra, [DEFAULT_LIST])
        show(lines, rc, 1)
        expect(rc == 1, f"exit 1 (got {rc})")
        expect(any(l.strip().startswith(f"lib{name} (SelfTestExtra)") and f"belongs to {pkg}" in l
                   for l in lines), f"a failure names lib{name} and its package {pkg}")

    verdict = "FAILED: " + "; ".join(failures) if failures else "all passed"
    print(f"check-install-lists --self-test: {verdict}")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", action="append", metavar="FILE",
                    help=f"an apt list (repeatable; default {rel(DEFAULT_LIST)})")
    ap.add_argument("--manifest", metavar="FILE",
                    help="a `swift package dump-package` JSON instead of running it")
    ap.add_argument("--self-test", action="store_true", help="check that the check catches things")
    args = ap.parse_args()
    start = time.monotonic()
    try:
        ctx = Context()
        if args.self_test:
            if args.list or args.manifest:
                ap.error("--self-test uses the real list and manifest")
            rc = self_test(ctx)
        else:
            lists = args.list or [DEFAULT_LIST]
            ctx.closure(lists)      # apt starts now, while swift reads the manifest
            if args.manifest:
                try:
                    with open(args.manifest) as f:
                        manifest = json.load(f)
                except (OSError, ValueError) as e:
                    raise ToolError(f"cannot read the manifest {args.manifest}: {e}")
            else:
                manifest = dump_manifest()
            rc, lines, _ = check(ctx, manifest, lists)
            print("\n".join(lines))
    except ToolError as e:
        print(f"check-install-lists: {e}", file=sys.stderr)
        return 2
    print(f"check-install-lists: took {time.monotonic() - start:.1f}s", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
