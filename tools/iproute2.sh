#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make iproute2: an `ip` that knows balance-slb.  The newest pristine
# upstream iproute2 tarball that Debian's archive lists and still serves
# (the .orig.tar.xz of a source package, without Debian's patches: ours
# target iproute2-next, i.e. upstream) + patches/iproute2/*.patch, only lib/
# and ip/ built.
#
#   iproute2.sh            build build/iproute2/ip (and ip-slb -> ip)
#   iproute2.sh source     print the dir of the unpacked pristine sources
#   iproute2.sh orig       print the path of the verified upstream tarball
#
# The tarball is found and verified by tools/debsrc.sh (a private deb-src
# list under $SLB_CACHE/debsrc: the system's apt configuration and state
# are not changed; apt checks the signed Release files and the Sources
# indexes, and the tarball must match the SHA256 an index gives for it).
# A version whose tarball the archive does not serve is skipped for the
# next older one.  The mirror is the one the system uses for Debian;
# SLB_DEBIAN_MIRROR=<url> and SLB_DEBIAN_SUITE="<suite>..."
# override it and the suites searched, IPROUTE2_VERSION=<version> (upstream,
# e.g. 7.2.0, or Debian's, e.g. 7.2.0-1) picks a version.
#
# The binary links only libc and libmnl (the kernel's extended error
# messages): optional libraries found on the host are not used, so the same
# binary results everywhere.  It runs from any directory; install it as
# something other than `ip` (the VM tests use ip-slb).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SLB_CACHE:-$ROOT/.cache}
OUT=$ROOT/build/iproute2
# tools/debsrc.sh's lists and tarballs, shared with tools/sparse.sh
APTDIR=$CACHE/debsrc/apt
ORIGDIR=$CACHE/debsrc/orig
# what building ip needs (also in tools/deps.sh)
BUILD_PKGS=(make gcc libc6-dev xz-utils patch pkgconf libmnl-dev)

die() { echo "iproute2.sh: error: $*" >&2; exit 1; }
note() { echo "iproute2.sh: $*" >&2; }
# shellcheck source=tools/debsrc.sh
. "$ROOT/tools/debsrc.sh"

# the pristine upstream sources, unpacked once; their dir on stdout, and in
# its parent .origin: "upstream-version debian-version suite sha256 file"
fetch_source() {
	local orig up dir src
	orig=$(fetch_orig iproute2 "${IPROUTE2_VERSION:-}")
	up=$(cut -d' ' -f1 "$orig.origin")
	dir=$CACHE/iproute2/src/$up
	src=$dir/iproute2-$up
	if [[ ! -e $dir/.done ]] || [[ $(cat "$dir/.done") != "$(cut -d' ' -f4 "$orig.origin")" ]]; then
		note "unpacking $(basename "$orig")"
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -C "$dir" -xf "$orig" || die "cannot unpack $orig"
		cut -d' ' -f4 "$orig.origin" >"$dir/.done"
	fi
	cp "$orig.origin" "$dir/.origin"
	[[ -e $src/ip/iplink_bond.c ]] ||
		die "unpacked iproute2 $up has no iproute2-$up/ip/iplink_bond.c ($dir)"
	grep -qF "\"$up\"" "$src/include/version.h" ||
		die "$src/include/version.h is not version $up"
	echo "$src"
}

need_pkgs() {
	local p missing=()
	for p in "${BUILD_PKGS[@]}"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	((${#missing[@]} == 0)) && return
	note "missing ${missing[*]}: running tools/deps.sh"
	"$ROOT/tools/deps.sh" || die "tools/deps.sh failed"
}

# configure <tree> <log>: only libmnl of the optional libraries, whatever
# else is installed (also used by tools/series-iproute2.sh); 1 on failure
configure() {
	local b=$1 log=$2 pc
	mkdir -p "$b/.pc-slb"
	pc=$(pkg-config --variable=pcfiledir libmnl 2>/dev/null)/libmnl.pc
	[[ -e $pc ]] || die "libmnl.pc not found (is libmnl-dev installed?)"
	ln -sfn "$pc" "$b/.pc-slb/libmnl.pc"
	(cd "$b" && PKG_CONFIG_LIBDIR=$b/.pc-slb PKG_CONFIG_PATH='' ./configure) \
		>"$log" 2>&1
}

build() {
	local src b stamp p patches=() up ver suite sum file
	need_pkgs
	src=$(fetch_source)
	read -r up ver suite sum file <"$(dirname "$src")/.origin"
	for p in "$ROOT"/patches/iproute2/*.patch; do
		[[ -e $p ]] && patches+=("$p")
	done
	((${#patches[@]})) || die "no patches/iproute2/*.patch"
	b=$OUT/src
	# redo from pristine whenever a patch or the source version changes
	stamp=$( (echo "$src"; cat "${patches[@]}") | md5sum | cut -d' ' -f1)
	if [[ ! -e $b/.prepared ]] || [[ $(cat "$b/.prepared") != "$stamp" ]]; then
		rm -rf "$b"
		mkdir -p "$OUT"
		cp -a "$src" "$b"
		for p in "${patches[@]}"; do
			patch -d "$b" -p1 --no-backup-if-mismatch -F0 <"$p" >&2 ||
				die "${p#"$ROOT"/} does not apply to $src (IPROUTE2_VERSION=<version> picks another iproute2)"
		done
		configure "$b" "$OUT/configure.log" || {
			cat "$OUT/configure.log" >&2
			die "configure failed (log: $OUT/configure.log)"
		}
		echo "$stamp" >"$b/.prepared"
	fi
	make -C "$b" -j"$(nproc)" SUBDIRS="lib ip" >"$OUT/build.log" 2>&1 || {
		tail -30 "$OUT/build.log" >&2
		die "build failed (log: $OUT/build.log)"
	}
	cp "$b/ip/ip" "$OUT/ip.tmp"
	mv "$OUT/ip.tmp" "$OUT/ip"
	ln -sfn ip "$OUT/ip-slb"
	"$OUT/ip" -V >/dev/null || die "$OUT/ip does not run"
	# the help text must list the mode: a cheap sign that the patch is in
	local help
	help=$("$OUT/ip" link help bond 2>&1 || true)
	[[ $help == *balance-slb* ]] || die "$OUT/ip does not list balance-slb"
	echo "built $OUT/ip ($("$OUT/ip" -V); upstream $file of Debian's iproute2 $ver in $suite, sha256 $sum; + ${#patches[@]} patch(es))"
}

# sourced by tools/series-iproute2.sh for fetch_orig/fetch_source/configure
[[ ${BASH_SOURCE[0]} == "$0" ]] || return 0

case ${1:-build} in
build) build ;;
source) need_pkgs; fetch_source ;;
orig) fetch_orig iproute2 "${IPROUTE2_VERSION:-}" ;;
*) die "usage: iproute2.sh [build|source|orig]" ;;
esac
