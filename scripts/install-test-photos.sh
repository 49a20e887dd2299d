#!/usr/bin/env bash
# Photos of real people for the person-check tests and benchmarks, from packages, never copied
# into the repository: Debian's python3-skimage and python-matplotlib-data (read where they are
# installed), and, unpacked into $TUNEPREP_TEST_PHOTOS, else ~/.cache/tuneprep/test-photos, one
# folder per source, each with its licence (every archive is pinned by version and sha256):
#   face_recognition/  test photos of the PyPI sdist face_recognition 1.3.0 (MIT)
#   dlib/faces, dlib/johns  examples/faces (hand-labelled boxes in training.xml, testing.xml) and
#                      examples/johns (5 people x 11 photos) of Debian's dlib 19.24+dfsg source
#                      package (orig tarball; Boost licence)
#   insightface/       insightface/data/images of the PyPI sdist insightface 2.1 (t1.jpg: six
#                      people; MIT, stated in PKG-INFO, which is kept as the licence record)
#   ultralytics/       ultralytics/assets (bus.jpg, zidane.jpg) of the PyPI wheel ultralytics
#                      8.4.190 (AGPL-3.0)
#   opencv/            photos of Debian's opencv-doc 4.6.0+dfsg-12 examples: people in messi5.jpg,
#                      basketball1/2.png; none in hfs/data 000-002.jpg (a robin, a lake, a tree),
#                      copied as hfs_000.jpg ... (BSD, see copyright). 4.6 has no football photo.
# Each source has its own marker file, so a partial install completes on a rerun and a complete
# one returns at once. Tests skip, saying why, when these are absent.
set -euo pipefail
bash "$(dirname "$0")/deps/apt-install.sh" "$(dirname "$0")/deps/apt-test.txt"

dest="${TUNEPREP_TEST_PHOTOS:-$HOME/.cache/tuneprep/test-photos}"

# Pinned sources.
fr_version=1.3.0
fr_sha256=5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec
dlib_version=19.24+dfsg-1
dlib_orig=dlib_19.24+dfsg.orig.tar.bz2
dlib_sha256=66b4263822a2ff91a3e769e501c7d7927a13089e178c1427ec19cb0475823cf6
dlib_pool_url="http://deb.debian.org/debian/pool/main/d/dlib/dlib_19.24%2bdfsg.orig.tar.bz2"
insightface_version=2.1
insightface_sha256=776cbd36b70f5f2ae1a026101cfb80387f0b2280a0dbaf073f8d3ed69f554e01
ultralytics_version=8.4.190
ultralytics_sha256=bd309728efa168af64d39040136828edd2dbcb4aeceb4510bdff4f3ca0ea01b8
opencv_doc_version=4.6.0+dfsg-12
opencv_doc_sha256=4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a
opencv_doc_pool_url="http://deb.debian.org/debian/pool/main/o/opencv/opencv-doc_4.6.0%2bdfsg-12_all.deb"

# A source is installed when its marker (written last) names the pinned version. face_recognition
# keeps the check of earlier versions of this script (its obama.jpg), so old installs count.
installed() {
    case "$1" in
        face_recognition) [ -f "$dest/face_recognition/obama.jpg" ] ;;
        *) [ "$(cat "$dest/$1/.installed" 2>/dev/null)" = "$2" ] ;;
    esac
}
todo=()
installed face_recognition "$fr_version" || todo+=(face_recognition)
installed dlib "$dlib_version" || todo+=(dlib)
installed insightface "$insightface_version" || todo+=(insightface)
installed ultralytics "$ultralytics_version" || todo+=(ultralytics)
installed opencv "$opencv_doc_version" || todo+=(opencv)
if [ ${#todo[@]} -eq 0 ]; then echo "test photos already in $dest"; exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

verify() { # file sha256
    echo "$2  $1" | sha256sum --check --status \
        || { echo "install-test-photos: $(basename "$1") does not have the expected checksum" >&2; exit 1; }
}

# Moves a finished folder into place: the old one goes, the marker comes last.
place() { # name version folder
    rm -rf "${dest:?}/$1"
    mv "$3" "$dest/$1"
    [ "$1" = face_recognition ] || echo "$2" >"$dest/$1/.installed"
}

install_face_recognition() {
    python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$work" "face_recognition==$fr_version"
    verify "$work/face_recognition-$fr_version.tar.gz" "$fr_sha256"
    tar --no-same-owner -xzf "$work/face_recognition-$fr_version.tar.gz" -C "$work" "face_recognition-$fr_version/tests/test_images" "face_recognition-$fr_version/LICENSE"
    cp "$work/face_recognition-$fr_version/LICENSE" "$work/face_recognition-$fr_version/tests/test_images/LICENSE"
    place face_recognition "$fr_version" "$work/face_recognition-$fr_version/tests/test_images"
}

# dlib: only the orig tarball (8.6 MB) of the source package, not its 200 MB models tarball.
# Its address comes from a private deb-src list (the system's apt configuration and lists are
# left alone); when that fails, from the pool's fixed address. Either way the sha256 is pinned.
install_dlib() {
    local apt_dir="$work/apt" url=""
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" >"$apt_dir/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
    if apt-get "${opts[@]}" update -qq >/dev/null 2>&1; then
        url="$(apt-get "${opts[@]}" --print-uris source "dlib=$dlib_version" 2>/dev/null \
            | awk -v f="$dlib_orig" '$2 == f { gsub("\047", "", $1); print $1 }')"
    fi
    [ -n "$url" ] || url="$dlib_pool_url"
    /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$url" "$work/$dlib_orig" "SHA256:$dlib_sha256" >/dev/null
    verify "$work/$dlib_orig" "$dlib_sha256"
    tar --no-same-owner -xjf "$work/$dlib_orig" -C "$work" dlib-19.24+dfsg/examples/faces dlib-19.24+dfsg/examples/johns \
        dlib-19.24+dfsg/LICENSE.txt dlib-19.24+dfsg/examples/LICENSE_FOR_EXAMPLE_PROGRAMS.txt
    mkdir -p "$work/dlib"
    mv "$work/dlib-19.24+dfsg/examples/faces" "$work/dlib-19.24+dfsg/examples/johns" "$work/dlib/"
    cp "$work/dlib-19.24+dfsg/LICENSE.txt" "$work/dlib/LICENSE.txt"
    cp "$work/dlib-19.24+dfsg/examples/LICENSE_FOR_EXAMPLE_PROGRAMS.txt" "$work/dlib/"
    place dlib "$dlib_version" "$work/dlib"
}

# insightface 2.1 is the first version whose sdist has data/images/t1.jpg (checked by hand).
install_insightface() {
    python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$work" "insightface==$insightface_version"
    verify "$work/insightface-$insightface_version.tar.gz" "$insightface_sha256"
    local top="insightface-$insightface_version"
    tar --no-same-owner -xzf "$work/$top.tar.gz" -C "$work" "$top/insightface/data/images" "$top/PKG-INFO"
    cp "$work/$top/PKG-INFO" "$work/$top/insightface/data/images/PKG-INFO"
    place insightface "$insightface_version" "$work/$top/insightface/data/images"
}

install_ultralytics() {
    local wheel="ultralytics-$ultralytics_version-py3-none-any.whl"
    python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$work" "ultralytics==$ultralytics_version"
    verify "$work/$wheel" "$ultralytics_sha256"
    mkdir -p "$work/ultralytics"
    python3 - "$work/$wheel" "$work/ultralytics" "ultralytics-$ultralytics_version.dist-info/licenses/LICENSE" <<'EOF'
import sys, zipfile
wheel, out, licence = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for name, target in (("ultralytics/assets/bus.jpg", "bus.jpg"), ("ultralytics/assets/zidane.jpg", "zidane.jpg"), (licence, "LICENSE")):
        with open(f"{out}/{target}", "wb") as f:
            f.write(z.read(name))
EOF
    place ultralytics "$ultralytics_version" "$work/ultralytics"
}

install_opencv() {
    local deb="$work/opencv-doc_${opencv_doc_version}_all.deb" doc=./usr/share/doc/opencv-doc
    (cd "$work" && apt-get -o APT::Sandbox::User=root download -qq "opencv-doc=$opencv_doc_version" >/dev/null 2>&1) \
        || /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$opencv_doc_pool_url" "$deb" "SHA256:$opencv_doc_sha256" >/dev/null
    [ -f "$deb" ] || mv "$work"/opencv-doc_*_all.deb "$deb"
    verify "$deb" "$opencv_doc_sha256"
    dpkg-deb --fsys-tarfile "$deb" >"$work/opencv-doc.tar"
    tar --no-same-owner -xf "$work/opencv-doc.tar" -C "$work" "$doc/copyright" "$doc/examples/data/messi5.jpg" \
        "$doc/examples/data/basketball1.png" "$doc/examples/data/basketball2.png" "$doc/examples/hfs/data"
    mkdir -p "$work/opencv"
    cp "$work/$doc/copyright" "$work/$doc/examples/data/messi5.jpg" "$work/$doc/examples/data/basketball1.png" \
        "$work/$doc/examples/data/basketball2.png" "$work/opencv/"
    for f in 000 001 002; do cp "$work/$doc/examples/hfs/data/$f.jpg" "$work/opencv/hfs_$f.jpg"; done
    place opencv "$opencv_doc_version" "$work/opencv"
}

for source in "${todo[@]}"; do
    "install_$source"
    echo "$source test photos installed in $dest/$source"
done
echo "test photos installed in $dest"
