#!/bin/sh
# SPDX-License-Identifier: MIT
# deps.sh: install the Debian packages a make target needs, and only those missing.
#
#   scripts/deps.sh [core|fuzz|bench|all]...   (default: core)
#
# Each package is checked with dpkg -s first; apt-get update runs only when
# something is missing, so a second run does nothing.
set -eu

pkgs_core="build-essential cmake pkg-config libuv1-dev libssl-dev zlib1g-dev re2c lemon libcmocka-dev tzdata"
# libclang-rt-14-dev carries libFuzzer and the sanitizer runtimes; clang only recommends it.
pkgs_fuzz="clang libclang-rt-14-dev"
# Peers the benchmarks compare against; grows as benchmarks arrive.
pkgs_bench="libprotobuf-c-dev protobuf-c-compiler erlang-nox libcaf-dev"

want=""
[ $# -eq 0 ] && set -- core
for target in "$@"; do
    case "$target" in
    core)  want="$want $pkgs_core" ;;
    fuzz)  want="$want $pkgs_core $pkgs_fuzz" ;;
    bench) want="$want $pkgs_core $pkgs_bench" ;;
    all)   want="$want $pkgs_core $pkgs_fuzz $pkgs_bench" ;;
    *) echo "deps.sh: unknown target '$target' (core, fuzz, bench, all)" >&2; exit 2 ;;
    esac
done

if ! command -v dpkg >/dev/null 2>&1; then
    echo "deps.sh: this is not a Debian system (no dpkg); install by hand:$want" >&2
    exit 1
fi

missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo"
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
    as_root="sudo"            # interactive: sudo may ask for a password
else
    echo "deps.sh: need root to install packages. Run as root:" >&2
    echo "    apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $missing
