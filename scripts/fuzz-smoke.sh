#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz-smoke.sh BUILD_DIR SECONDS: runs every libFuzzer harness the build
# lists (build/fuzzers.txt: "name seed_dir..."), each for SECONDS, starting
# from a copy of its seed corpus. Any crash, leak or timeout fails the run
# and leaves the reproducer in BUILD_DIR/fuzz-artifacts/.
set -eu
build=${1:-build-fuzz}
seconds=${2:-60}
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
status=0
while read -r name seeds; do
    [ -n "$name" ] || continue
    corpus="$build/fuzz-corpus/$name"
    mkdir -p "$corpus"
    for d in $seeds; do
        # Seeds are the .erg (and other) files of each directory, recursively.
        find "$d" -type f ! -name '*.expect.err' ! -name '*.md' \
            -exec cp {} "$corpus/" \; 2>/dev/null || true
    done
    echo "fuzz-smoke: $name for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
    if ! "$build/bin/$name" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
            -artifact_prefix="$artifacts/" "$corpus" \
            >"$build/$name.log" 2>&1; then
        echo "fuzz-smoke: $name FAILED; see $build/$name.log" >&2
        tail -40 "$build/$name.log" >&2
        status=1
    else
        grep -E 'stat::number_of_executed_units|cov:' "$build/$name.log" \
            | tail -2
    fi
done < "$build/fuzzers.txt"
exit $status
