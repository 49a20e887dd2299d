#!/usr/bin/env bash
# Fuzzing harness: mutated photos through `tuneprep check`, and libFuzzer on the C decoders.
#
#   bash scripts/fuzz.sh [--minutes N] [--libfuzzer-minutes N] [--formats jpeg,png,heif,webp]
#                        [--seed S] [--mem-mb M] [--build asan|debug|release] [--out DIR]
#                        [--skip-command] [--skip-libfuzzer] [--parallel] [--unit-timeout S]
#   bash scripts/fuzz.sh --ci      # the short fixed-seed pass .ci/run makes
#
# 1. Command pass: builds `tuneprep` (by default with AddressSanitizer and, where the toolchain
#    takes it, UndefinedBehaviorSanitizer, in .build-asan), mutates samples/ and ../shared/corpus
#    (bit flips, byte sets, truncation, JPEG segment / PNG chunk / HEIF box / RIFF chunk length
#    corruption, splices, huge declared dimensions; scripts/fuzz.py), and runs the mutants through
#    `check` in batches for N minutes per format, under a memory cap (ulimit -v, or ASan's
#    hard_rss_limit_mb for a sanitized build) and a deadline. Every input that crashes, hangs,
#    trips a sanitizer, goes over the cap or is missing from the report is saved in
#    OUT/findings/<kind>-<format>-<hash>/ with reproduce.sh.
# 2. libFuzzer pass: builds one fuzzer per format from fuzz/decoder_fuzzer.c and the C shims
#    (Sources/CTunePrepImaging) with clang -fsanitize=fuzzer,address,undefined, and runs each for
#    N minutes from the same seeds; crashes, leaks, timeouts and out-of-memory inputs land in
#    OUT/libfuzzer/<format>/ (reproduce: run the fuzzer binary with the file as argument).
#    --parallel fuzzes the formats at once; --unit-timeout S sets libFuzzer's per-input limit (wall
#    time; default 10 s, 60 s for HEIF). Never pause a fuzzer (SIGSTOP): its timer keeps running.
# Exit status: 0 when nothing was found, 1 otherwise, 2 for a usage or build error.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30
libfuzzer_minutes=""
formats=jpeg,png,heif,webp
seed=1
mem_mb=2048
build=asan
out=""
command_pass=1
libfuzzer_pass=1
ci=0
parallel=0
unit_timeout=""
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes=$2; shift 2 ;;
        --libfuzzer-minutes) libfuzzer_minutes=$2; shift 2 ;;
        --formats) formats=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --mem-mb) mem_mb=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --skip-command) command_pass=0; shift ;;
        --skip-libfuzzer) libfuzzer_pass=0; shift ;;
        --parallel) parallel=1; shift ;;
        --unit-timeout) unit_timeout=$2; shift 2 ;;
        --ci) ci=1; shift ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ "$ci" = 1 ]; then
    # CI: the debug build `swift test` already made (an ASan build of every dependency takes
    # longer than the whole test run on a 2-core machine), 10 s a format; libFuzzer 5 s a format.
    build=debug
    minutes=0.17
    libfuzzer_minutes=${libfuzzer_minutes:-0.09}
    mem_mb=1536
fi
libfuzzer_minutes=${libfuzzer_minutes:-$minutes}
out=${out:-.build-fuzz/run-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

if ! command -v python3 >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 >/dev/null
fi

seeds=(samples)
[ -d ../shared/corpus ] && seeds+=(../shared/corpus) || echo "fuzz.sh: ../shared/corpus absent; seeds from samples/ only"
found=0

if [ "$command_pass" = 1 ]; then
    sanitized=()
    case "$build" in
        asan)
            # -fsanitize is given to the compilers only: swiftc links the sanitizer runtimes itself.
            flags=(-Xswiftc -sanitize=address -Xcc -fsanitize=address)
            ubsan=(-Xswiftc -sanitize=undefined -Xcc -fsanitize=undefined)
            if swift build --build-path .build-asan --product tuneprep "${flags[@]}" "${ubsan[@]}" >"$out/build.log" 2>&1; then
                echo "fuzz.sh: tuneprep built with AddressSanitizer and UndefinedBehaviorSanitizer"
            elif swift build --build-path .build-asan --product tuneprep "${flags[@]}" >>"$out/build.log" 2>&1; then
                echo "fuzz.sh: tuneprep built with AddressSanitizer (UBSan build failed: see $out/build.log)"
            else
                echo "fuzz.sh: the ASan build failed: see $out/build.log" >&2; exit 2
            fi
            binary=.build-asan/debug/tuneprep
            sanitized=(--sanitized)
            mem_cap=$((mem_mb * 2))  # ASan's shadow and quarantine roughly double the RSS
            ;;
        debug|release)
            # -Xcxx -O2 as the README's test command builds it (so CI reuses that build).
            swift build -c "$build" --product tuneprep -Xcxx -O2 >"$out/build.log" 2>&1 || { echo "fuzz.sh: build failed: see $out/build.log" >&2; exit 2; }
            binary=.build/$build/tuneprep
            mem_cap=$mem_mb
            ;;
        *) echo "fuzz.sh: --build is asan, debug or release" >&2; exit 2 ;;
    esac
    echo "fuzz.sh: command pass: $binary, $minutes min a format ($formats), seed $seed, memory cap $mem_cap MB"
    python3 scripts/fuzz.py --binary "$binary" --seeds "${seeds[@]}" --out "$out/command" --minutes "$minutes" \
        --formats "$formats" --seed "$seed" --mem-mb "$mem_cap" "${sanitized[@]}" || found=1
fi

if [ "$libfuzzer_pass" = 1 ]; then
    fuzzers=.build-fuzz/bin
    mkdir -p "$fuzzers/obj"
    cflags=(-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
            -I Sources/CTunePrepImaging/include -I Sources/CTunePrepImaging)
    read -r -a pkg_cflags <<<"$(pkg-config --cflags libjpeg libpng libheif libwebp libwebpdemux lcms2)"
    read -r -a pkg_libs <<<"$(pkg-config --libs libjpeg libpng libheif libwebp libwebpdemux lcms2)"
    if ! command -v clang >/dev/null || ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' \
        | clang -x c -fsanitize=fuzzer - -o "$fuzzers/probe" 2>/dev/null; then
        echo "fuzz.sh: clang -fsanitize=fuzzer does not work here; libFuzzer pass skipped"
    else
        for source in Sources/CTunePrepImaging/*.c; do
            clang "${cflags[@]}" "${pkg_cflags[@]}" -c "$source" -o "$fuzzers/obj/$(basename "$source" .c).o"
        done
        number=1
        for format in jpeg png heif webp; do
            clang "${cflags[@]}" -fsanitize=fuzzer "${pkg_cflags[@]}" -DTP_FUZZ_FORMAT=$number fuzz/decoder_fuzzer.c \
                "$fuzzers"/obj/*.o "${pkg_libs[@]}" -lm -o "$fuzzers/$format" 2> >(grep -v "Cannot export local symbol" >&2)
            number=$((number + 1))
        done
        seconds=$(python3 -c "print(max(1, int(float('$libfuzzer_minutes') * 60)))")
        fuzz_one() {  # format: fuzzes it, prints its line of results; status 1 when it found something
            local format=$1 dir=$out/libfuzzer/$1
            mkdir -p "$dir/corpus"
            python3 - "$format" "$dir/corpus" "${seeds[@]}" <<'EOF'
import hashlib, os, shutil, sys
sys.path.insert(0, "scripts")
import fuzz
fmt, target, roots = sys.argv[1], sys.argv[2], sys.argv[3:]
# Small seeds keep the rate up (a 12 MP JPEG takes a second under ASan); HEIFs are all large.
seeds = fuzz.load_seeds(roots, (4 << 20) if fmt == "heif" else (512 << 10))[fmt] + (fuzz.extra_webp_seeds() if fmt == "webp" else [])
for data in seeds:
    open(os.path.join(target, hashlib.sha1(data).hexdigest()), "wb").write(data)
EOF
            # libFuzzer's timeout is wall-clock time: a 12 MP HEIF seed alone takes up to 30 s under
            # ASan on a loaded 2-core machine, and formats fuzzed in parallel share the cores.
            local timeout=${unit_timeout:-10}
            [ -z "$unit_timeout" ] && [ "$format" = heif ] && timeout=60
            local start=$SECONDS status=0 runs rate peak artifacts
            "$fuzzers/$format" -seed="$seed" -max_total_time="$seconds" -rss_limit_mb="$mem_mb" -malloc_limit_mb="$mem_mb" \
                -timeout=$timeout -max_len=$((4 << 20)) -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" \
                >"$dir/log.txt" 2>&1 || status=1
            runs=$(grep -m1 "stat::number_of_executed_units" "$dir/log.txt" | awk '{print $2}')
            rate=$(grep -m1 "stat::average_exec_per_sec" "$dir/log.txt" | awk '{print $2}')
            peak=$(grep -m1 "stat::peak_rss_mb" "$dir/log.txt" | awk '{print $2}')
            artifacts=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
            # The time it really ran: libFuzzer stops at its first finding.
            echo "libfuzzer $format: ${runs:-?} executions in $((SECONDS - start)) s of ${seconds} (${rate:-?}/s), peak ${peak:-?} MB, $artifacts findings ($dir)"
            [ "$artifacts" -eq 0 ] && [ "$status" -eq 0 ]
        }
        if [ "$parallel" = 1 ]; then
            pids=()
            for format in ${formats//,/ }; do fuzz_one "$format" & pids+=($!); done
            for pid in "${pids[@]}"; do wait "$pid" || found=1; done
        else
            for format in ${formats//,/ }; do fuzz_one "$format" || found=1; done
        fi
    fi
fi

echo "fuzz.sh: results in $out"
exit $found
