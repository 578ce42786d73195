#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build-system behaviour, for make check: installing into a staging root,
# KSRC, and the errors that must stop a build (never a silent fallback).
# Prints "ok - ..." / "not ok - ..." lines.  Needs a built KVER.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KVER=$1
T=$ROOT/build/test-build
rm -rf "$T"
mkdir -p "$T"
rc=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; rc=1; }

# make install into a staging root: updates/ and depmod
if make -s install KVER="$KVER" INSTALL_MOD_PATH="$T/root" >"$T/install.log" 2>&1 &&
   ls "$T/root/lib/modules/$KVER/updates/"bonding.ko* >/dev/null 2>&1 &&
   grep -q '^updates/bonding.ko' "$T/root/lib/modules/$KVER/modules.dep"; then
	ok "make install puts bonding.ko in updates/ and runs depmod"
else
	tail -5 "$T/install.log"
	nok "make install puts bonding.ko in updates/ and runs depmod"
fi

# an unknown release stops with a message naming it
out=$(make -s module KVER=6.1.0-999-amd64 2>&1) && nok "unknown release refused" ||
	{ grep -q "6.1.0-999-amd64" <<<"$out" && ok "unknown release refused, named" ||
	  nok "unknown release error names the release: $out"; }

# KSRC: sources from a kernel tree; a tree the patch does not fit stops
src=$(tools/kernel.sh source "$KVER")
mkdir -p "$T/ksrc/drivers/net" "$T/ksrc/include/net"
cp -r "$src/drivers/net/bonding" "$T/ksrc/drivers/net/"
cp "$src"/include/net/bond*.h "$T/ksrc/include/net/"
if make -s module KVER="$KVER" KSRC="$T/ksrc" >"$T/ksrc.log" 2>&1; then
	ok "KSRC=<tree> builds"
else
	tail -5 "$T/ksrc.log"
	nok "KSRC=<tree> builds"
fi
sed -i 's/"adaptive load balancing",/"adaptive load balancing (changed)",/' \
	"$T/ksrc/drivers/net/bonding/bond_main.c"
out=$(make -s module KVER="$KVER" KSRC="$T/ksrc" 2>&1) &&
	nok "a patch that does not apply stops the build" ||
	{ grep -q "does not apply" <<<"$out" && grep -q "bond_main.c" <<<"$out" &&
	  grep -q "$KVER" <<<"$out" && ok "a patch that does not apply stops the build, names file and release" ||
	  nok "patch failure message: $out"; }
# leave the regular build as it was
make -s module KVER="$KVER" >/dev/null 2>&1 || nok "rebuild after KSRC tests"
exit $rc
