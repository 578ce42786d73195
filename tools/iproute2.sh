#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make iproute2: an `ip` that knows balance-slb.  Debian's iproute2 source
# package (the version installed on this host when the archive still has it,
# else the newest one) + patches/iproute2/*.patch, only lib/ and ip/ built.
#
#   iproute2.sh            build build/iproute2/ip (and ip-slb -> ip)
#   iproute2.sh source     print the dir of the unpacked pristine sources
#
# The source package comes from a private deb-src list with its own apt
# lists and cache under $SLB_CACHE/iproute2/apt: the system's apt
# configuration and state are not changed.  The mirrors are the ones the
# system uses for Debian; SLB_DEBIAN_MIRROR=<url> and SLB_DEBIAN_SUITE=<suite>
# override them, IPROUTE2_VERSION=<debian version> picks another version.
#
# The binary links only libc and libmnl (the kernel's extended error
# messages): optional libraries found on the host are not used, so the same
# binary results everywhere.  It runs from any directory; install it as
# something other than `ip` (the VM tests use ip-slb).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SLB_CACHE:-$ROOT/.cache}
OUT=$ROOT/build/iproute2
APTDIR=$CACHE/iproute2/apt
# what building ip needs (also in tools/deps.sh)
BUILD_PKGS=(make gcc libc6-dev dpkg-dev xz-utils patch pkgconf libmnl-dev)

die() { echo "iproute2.sh: error: $*" >&2; exit 1; }
note() { echo "iproute2.sh: $*" >&2; }

apt_private() {	# apt-get/apt-cache with only our deb-src list and state
	local tool=$1; shift
	"$tool" -q -o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" \
		-o APT::Sandbox::User="$(id -un)" "$@"
}

# deb-src lines for the Debian archives the system's apt uses
write_sources() {
	local list=$APTDIR/sources.list.new key=/usr/share/keyrings/debian-archive-keyring.gpg
	local opt="" uri suite
	[[ -r $key ]] && opt="[signed-by=$key] "
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	: >"$list"
	if [[ -n ${SLB_DEBIAN_MIRROR:-} ]]; then
		echo "deb-src $opt$SLB_DEBIAN_MIRROR ${SLB_DEBIAN_SUITE:-bookworm} main" >>"$list"
	else
		# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
		while read -r uri suite; do
			echo "deb-src $opt$uri $suite main" >>"$list"
		done < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
				'Origin: Debian' 'Identifier: Packages' 2>/dev/null | sort -u)
		[[ -s $list ]] ||
			echo "deb-src ${opt}http://deb.debian.org/debian ${SLB_DEBIAN_SUITE:-bookworm} main" >>"$list"
	fi
	mv "$list" "$APTDIR/sources.list"
}

# the pristine Debian sources (Debian's patches applied), unpacked once
fetch_source() {
	local want have v dir
	write_sources
	# the lists are refreshed once a day, or when the sources change
	if [[ ! -e $APTDIR/lists/.done ]] ||
	   ! cmp -s "$APTDIR/sources.list" "$APTDIR/lists/.done" ||
	   [[ -n $(find "$APTDIR/lists/.done" -mmin +1440) ]]; then
		apt_private apt-get update >&2 ||
			die "apt-get update of the private deb-src list failed ($APTDIR/sources.list)"
		cp "$APTDIR/sources.list" "$APTDIR/lists/.done"
	fi
	have=$(apt_private apt-cache showsrc iproute2 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V)
	[[ -n $have ]] || die "no iproute2 source package in $APTDIR/sources.list"
	want=${IPROUTE2_VERSION:-$(dpkg-query -W -f '${Version}' iproute2 2>/dev/null || true)}
	if [[ -n $want ]] && grep -qxF "$want" <<<"$have"; then
		v=$want
	else
		v=$(tail -1 <<<"$have")
		[[ -z ${IPROUTE2_VERSION:-} ]] ||
			die "iproute2 source version $IPROUTE2_VERSION is not in the archive (it has: ${have//$'\n'/ })"
		note "installed iproute2 ${want:-(none)} is not in the archive, using $v"
	fi
	dir=$CACHE/iproute2/src/$v
	if [[ ! -e $dir/.done ]]; then
		note "fetching iproute2 $v source package"
		rm -rf "$dir"
		mkdir -p "$dir"
		(cd "$dir" && apt_private apt-get source "iproute2=$v" >&2) ||
			die "apt-get source iproute2=$v failed"
		touch "$dir/.done"
	fi
	local src
	src=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'iproute2-*' | head -1)
	[[ -n $src && -e $src/ip/iplink_bond.c ]] ||
		die "unpacked iproute2 $v has no ip/iplink_bond.c ($dir)"
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

build() {
	local src b stamp p patches=()
	need_pkgs
	src=$(fetch_source)
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
				die "${p#"$ROOT"/} does not apply to $src"
		done
		# only libmnl of the optional libraries, whatever else is installed
		mkdir -p "$b/.pc-slb"
		local pc
		pc=$(pkg-config --variable=pcfiledir libmnl 2>/dev/null)/libmnl.pc
		[[ -e $pc ]] || die "libmnl.pc not found (is libmnl-dev installed?)"
		ln -s "$pc" "$b/.pc-slb/libmnl.pc"
		(cd "$b" && PKG_CONFIG_LIBDIR=$b/.pc-slb PKG_CONFIG_PATH='' ./configure) \
			>"$OUT/configure.log" 2>&1 || {
			cat "$OUT/configure.log" >&2
			die "configure failed"
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
	echo "built $OUT/ip ($("$OUT/ip" -V), $(basename "$src") $(basename "$(dirname "$src")") + ${#patches[@]} patch(es))"
}

case ${1:-build} in
build) build ;;
source) need_pkgs; fetch_source ;;
*) die "usage: iproute2.sh [build|source]" ;;
esac
