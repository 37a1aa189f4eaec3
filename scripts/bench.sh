#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh BUILD_DIR: runs every benchmark the build lists, then the same
# node-level scenarios on the peers (Erlang/OTP, CAF), printing bench= lines.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
status=0
while read -r b; do
    [ -n "$b" ] || continue
    echo "# $b"
    "$build/bin/$b" || { echo "bench.sh: $b failed" >&2; status=1; }
done < "$build/benches.txt"

# Peers, in the same invocation so the figures share the machine's state.
# scripts/deps.sh bench installs erlang-nox and libcaf-dev; a missing peer
# is reported and skipped, never faked.
peers="$here/tests/bench/peers"
if command -v escript >/dev/null 2>&1; then
    echo "# erlang (OTP $(erl -noshell -eval 'io:format("~s",[erlang:system_info(otp_release)]),halt().'))"
    escript "$peers/erlang_bench.erl" || { echo "bench.sh: erlang failed" >&2; status=1; }
else
    echo "bench.sh: escript not found, Erlang peer skipped" >&2
fi
# Remote scenarios (issue #8) on Erlang distribution: the escript starts its
# own node processes on 127.0.0.1 (and epmd if none runs) and stops them.
if command -v escript >/dev/null 2>&1 && command -v epmd >/dev/null 2>&1; then
    echo "# erlang remote (distribution over 127.0.0.1, see docs/benchmarks-remote.md)"
    escript "$peers/erlang_remote_bench.erl" || { echo "bench.sh: erlang remote failed" >&2; status=1; }
else
    echo "bench.sh: escript or epmd not found, Erlang remote peer skipped" >&2
fi
if [ -f /usr/include/caf/all.hpp ] && command -v g++ >/dev/null 2>&1; then
    caf="$build/bin/caf_bench"
    if [ ! -x "$caf" ] || [ "$peers/caf_bench.cpp" -nt "$caf" ]; then
        g++ -std=c++17 -O2 -o "$caf" "$peers/caf_bench.cpp" -lcaf_core -lpthread
    fi
    echo "# caf"
    "$caf" || { echo "bench.sh: caf failed" >&2; status=1; }
else
    echo "bench.sh: CAF headers or g++ not found, CAF peer skipped" >&2
fi
exit $status
