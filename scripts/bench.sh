#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh BUILD_DIR: runs every benchmark the build lists, printing bench= lines.
set -eu
build=${1:-build}
status=0
while read -r b; do
    [ -n "$b" ] || continue
    echo "# $b"
    "$build/bin/$b" || { echo "bench.sh: $b failed" >&2; status=1; }
done < "$build/benches.txt"
exit $status
