#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh BUILD_DIR: the main demo, a rolling upgrade on a loopback cluster.
# First the two schema revisions and what idlc says about them, then three
# node processes upgraded one at a time under load (examples/cluster). The
# last line accounts for every message; the demo fails unless none was lost
# or mis-decoded.
set -eu
build=${1:-build}
idlc="$build/bin/idlc"
v1=examples/cluster/v1
v2=examples/cluster/v2

step() { printf '\n== %s\n' "$*"; }

step "the schema, revision 1 ($v1/demo/shop.erg)"
sed -n '/^message/,$p' "$v1/demo/shop.erg"

step "revision 2 adds Order v2 with conversions both ways"
sed -n '/^enum/,$p' "$v2/demo/shop.erg"

step "idlc fingerprint: Order v1 is the same in both revisions"
"$idlc" fingerprint -I "$v1" "$v1/demo/shop.erg"
"$idlc" fingerprint -I "$v2" "$v2/demo/shop.erg"

step "idlc compat: revision 2 can replace revision 1 in a live cluster"
"$idlc" compat "$v1" "$v2"
echo "ok: no breaking change"

step "rolling upgrade: 3 nodes on 127.0.0.1, each restarted on revision 2"
"$build/bin/demo_cluster"
