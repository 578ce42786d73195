#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, for make check: make deb builds
# build/deb/bonding-slb-dkms_<version>_all.deb; its control data and file
# list are what an admin installing it needs (dpkg-deb -I / -c), its DKMS
# source is exactly `make dkms-src` (what tools/test-dkms.sh builds), and it
# carries no kernel sources.  Prints "ok - ..." / "not ok - ..." lines.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
T=$ROOT/build/test-deb
rm -rf "$T"
mkdir -p "$T"
rc=0
ok() { echo "ok - deb: $*"; }
nok() { echo "not ok - deb: $*"; rc=1; }
check() {	# check DESC CMD...
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}

NAME=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' dkms.conf)
VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
PKG=$NAME-dkms
DEB=$ROOT/build/deb/${PKG}_${VER}_all.deb
SRC=./usr/src/$NAME-$VER

t0=$SECONDS
rm -f "$DEB"
if make -s deb >"$T/make.log" 2>&1 && [[ -f $DEB ]]; then
	ok "make deb builds build/deb/${DEB##*/} ($((SECONDS - t0)) s)"
else
	tail -20 "$T/make.log" | sed 's/^/# /'
	nok "make deb builds build/deb/${DEB##*/}"
	exit 1
fi

# --- control data (dpkg-deb -I / -f) -----------------------------------------------
field() { dpkg-deb -f "$DEB" "$1"; }
check "package name $PKG" [ "$(field Package)" = "$PKG" ]
check "version $VER (dkms.conf)" [ "$(field Version)" = "$VER" ]
check "architecture all" [ "$(field Architecture)" = all ]
deps=$(field Depends)
check "Depends on dkms ($deps)" grep -Eq '(^|, )dkms( |,|$)' <<<"$deps"
dpkg-deb -I "$DEB" >"$T/info.txt"
dpkg-deb --ctrl-tarfile "$DEB" | tar -x -C "$T" ./postinst ./prerm 2>/dev/null
check "postinst runs DKMS for $NAME $VER (dh_dkms)" \
	grep -q "DKMS_NAME=$NAME" "$T/postinst" 2>/dev/null
check "prerm removes it from DKMS" grep -q 'dkms remove' "$T/prerm" 2>/dev/null

# --- files (dpkg-deb -c) -------------------------------------------------------------
dpkg-deb -c "$DEB" | awk '{print $NF}' | sed 's#/$##' | sort >"$T/list.txt"
want=(dkms.conf Makefile Kbuild tools/kernel.sh include/net/bond_slb.h
       include/bond_slb_core.h)
for f in src/*.c patches/common/*.patch; do want+=("$f"); done
missing=()
for f in "${want[@]}"; do grep -qxF "$SRC/$f" "$T/list.txt" || missing+=("$f"); done
check "files under ${SRC#.}/: ${want[*]}" [ ${#missing[@]} -eq 0 ]
((${#missing[@]} == 0)) || echo "# missing: ${missing[*]}"
check "README and documentation in /usr/share/doc/$PKG" \
	grep -q "^./usr/share/doc/$PKG/balance-slb.rst" "$T/list.txt"
# nothing outside /usr/src/<name>-<version> and /usr/share/doc/<package>
stray=$(grep -v -e "^$SRC\(/\|$\)" -e "^./usr/share/doc/$PKG\(/\|$\)" \
	-e '^\.$' -e '^./usr$' -e '^./usr/src$' -e '^./usr/share$' \
	-e '^./usr/share/doc$' "$T/list.txt")
check "no files outside ${SRC#.} and /usr/share/doc/$PKG" [ -z "$stray" ]
show() { local l; while IFS= read -r l; do echo "# $1: $l"; done <<<"$2"; }
[[ -z $stray ]] || show stray "$stray"
# kernel sources are fetched when DKMS builds, never shipped
ksrc=$(grep -E '/(bond_main|bond_3ad|bond_alb|bond_options|bond_netlink|bond_sysfs|bond_procfs|bond_debugfs)\.c$|/(bonding|bond_3ad|bond_alb|bond_options)\.h$|\.ko$|linux-source|\.tar' \
	"$T/list.txt")
check "no kernel sources (bond_main.c, bonding.h, ...), modules or tarballs" [ -z "$ksrc" ]
[[ -z $ksrc ]] || show "kernel file" "$ksrc"

# the DKMS source is exactly what make dkms-src gives (tested by test-dkms.sh)
mkdir -p "$T/deb" "$T/ref"
dpkg-deb -x "$DEB" "$T/deb"
make -s dkms-src DEST="$T/ref" >/dev/null 2>&1
check "${SRC#.} is exactly make dkms-src" diff -r "$T/ref" "$T/deb/${SRC#./}"
exit $rc
