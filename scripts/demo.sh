#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh BUILD_DIR: the main demo, for now the best of what exists: idlc on
# the shop schemas (check, fingerprints, the lock), then the examples.
# Later issues replace it with a rolling upgrade on a loopback cluster.
set -eu
build=${1:-build}
idlc="$build/bin/idlc"
schemas="schemas/shop/common.erg schemas/shop/payment.erg"

step() { printf '\n== %s\n' "$*"; }

step "idlc check: the shop schemas of the language sketch"
# shellcheck disable=SC2086
"$idlc" check -I schemas $schemas
echo "ok: no errors (warnings name deprecated versions still accepted)"

step "idlc fingerprint: one SHA-256 per message and event version"
# shellcheck disable=SC2086
"$idlc" fingerprint -I schemas $schemas

step "idlc lock: released versions may never change shape"
# shellcheck disable=SC2086
"$idlc" lock --lock schemas/erg.lock -I schemas $schemas
echo "ok: schemas/erg.lock holds"

step "idlc check on a broken schema: every error, with positions"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/broken.erg" <<'ERG'
package demo;
message Order v1 { id: u64; total: i64; }
message Order v2 { id: u64; total: i32; note: string; }
upgrade Order v1 -> v2;
actor Shop { cast Order v3 important; call Order v1 -> Order v2 important; }
ERG
if "$idlc" check "$tmp/broken.erg"; then
    echo "demo: the broken schema was accepted" >&2
    exit 1
fi
echo "ok: rejected with exit status 1"

step "example: actors on one node (ping-pong by name, a call, a trapped link exit)"
"$build/bin/example_actors"

step "example: a versioned actor (a v1 client, a v2 handler, refusals at send time)"
"$build/bin/example_versioned"

step "example: erg's error table (first lines)"
"$build/bin/example_errors" | head -6
echo "demo: done"
