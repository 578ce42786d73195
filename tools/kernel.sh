#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Find, download and unpack what a Debian kernel release needs for us:
# headers (to build against), the pristine bonding sources from the matching
# linux-source-<series> package, and the kernel image (for the VM tests).
# Packages are unpacked into a cache, never installed on the host.
#
#   kernel.sh default-kver            running kernel if it has headers, else
#                                     the newest Debian 6.1 release
#   kernel.sh latest SERIES           newest release of 6.1 or 6.12
#   kernel.sh series KVER             6.1 / 6.12
#   kernel.sh kdir KVER               headers dir (download if needed)
#   kernel.sh source KVER             dir with pristine bonding sources
#   kernel.sh image KVER              dir with boot/ and lib/modules/
#   kernel.sh version KVER            Debian package version of KVER
#   kernel.sh selftests KVER          tools/testing/selftests dir with the
#                                     upstream bonding selftests and the
#                                     net/ libraries they source
#   kernel.sh tarball KVER            the whole linux-source tarball of
#                                     KVER's version, uncompressed, on stdout
#   kernel.sh prepare KVER BUILDDIR   pristine sources + our patch + our
#                                     files, ready for Kbuild
#
# Environment: SLB_CACHE (default <repo>/.cache), KSRC (take the bonding
# sources from this kernel tree instead of linux-source-<series>).
# The bonding sources come from the installed linux-source-<series> package
# when its version is the kernel's, else from the apt archive (download).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SLB_CACHE:-$ROOT/.cache}
# Files we take from the kernel source: bonding itself, and the tools and
# references the checks use (checkpatch, upstream bonding selftests).
SRC_PATHS=(drivers/net/bonding include/net/bonding.h include/net/bond_3ad.h
	   include/net/bond_alb.h include/net/bond_options.h
	   scripts/checkpatch.pl scripts/spelling.txt
	   scripts/const_structs.checkpatch
	   tools/testing/selftests/drivers/net/bonding
	   Documentation/networking/bonding.rst)
# make upstream-selftests: the bonding selftests and what they source
SELFTEST_PATHS=(tools/testing/selftests/drivers/net/bonding
		tools/testing/selftests/net/forwarding/lib.sh
		tools/testing/selftests/net/lib.sh)

die() { echo "kernel.sh: error: $*" >&2; exit 1; }
note() { echo "kernel.sh: $*" >&2; }

series_of() {
	[[ $1 =~ ^([0-9]+)\.([0-9]+)[.-] ]] || die "cannot tell the kernel series of release '$1'"
	echo "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
}

apt_download() {	# dir pkg[=version]...
	local dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && apt-get -q -o APT::Sandbox::User=root download "$@" >&2) ||
		die "apt-get download $* failed (is the package index current? run 'apt-get update')"
}

pkg_version() {		# newest version of a package the index offers
	apt-cache show "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1
}

latest() {
	local s=$1 re
	case $s in
	6.1) re='^linux-headers-6\.1\.0-[0-9]+-amd64$' ;;
	6.12) re='^linux-headers-6\.12\.[0-9]+\+deb[0-9]+-amd64$' ;;
	*) die "unsupported kernel series '$s' (supported: 6.1, 6.12)" ;;
	esac
	local r
	r=$(apt-cache search --names-only "$re" 2>/dev/null | awk '{print $1}' |
		sed 's/^linux-headers-//' | sort -V | tail -1)
	[[ -n $r ]] || die "no linux-headers package for series $s in the apt index (run 'apt-get update')"
	echo "$r"
}

default_kver() {
	local r
	r=$(uname -r)
	if [[ -e /lib/modules/$r/build/Makefile ]]; then
		echo "$r"
	else
		latest 6.1
	fi
}

# Version of the Debian packages that built KVER: installed headers first,
# then the apt index.
deb_version() {
	local kver=$1 v
	v=$(dpkg-query -W -f '${Version}' "linux-headers-$kver" 2>/dev/null || true)
	[[ -n $v ]] || v=$(pkg_version "linux-headers-$kver")
	[[ -n $v ]] || die "kernel $kver: package linux-headers-$kver is neither installed nor in the apt index"
	echo "$v"
}

kdir() {
	local kver=$1
	if [[ -n ${KDIR:-} ]]; then
		[[ -e $KDIR/Makefile ]] || die "kernel $kver: KDIR=$KDIR has no Makefile"
		echo "$KDIR"; return
	fi
	if [[ -e /lib/modules/$kver/build/Makefile ]]; then
		readlink -f "/lib/modules/$kver/build"; return
	fi
	local root=$CACHE/kernels/$kver/root
	local hdr=$root/usr/src/linux-headers-$kver
	if [[ ! -e $root/.done ]]; then
		local v s kb common
		v=$(deb_version "$kver")
		s=$(series_of "$kver")
		common=${kver%-amd64}-common
		# 6.1's kbuild package is per series, 6.12's per release
		if [[ -n $(pkg_version "linux-kbuild-${kver%-amd64}") ]]; then
			kb=linux-kbuild-${kver%-amd64}
		else
			kb=linux-kbuild-$s
		fi
		note "kernel $kver: fetching headers $v"
		rm -rf "$root" "$CACHE/debs/hdr-$kver"
		apt_download "$CACHE/debs/hdr-$kver" "linux-headers-$kver=$v" \
			"linux-headers-$common=$v" "$kb=$v"
		mkdir -p "$root"
		for d in "$CACHE/debs/hdr-$kver"/*.deb; do
			dpkg-deb -x "$d" "$root"
		done
		rm -rf "$CACHE/debs/hdr-$kver"
		# Debian's headers include their -common half by absolute path
		sed -i "s#^include /usr/src/#include $root/usr/src/#" "$hdr/Makefile"
		touch "$root/.done"
	fi
	[[ -e $hdr/Makefile ]] || die "kernel $kver: headers unpacked but $hdr/Makefile is missing"
	echo "$hdr"
}

# source_tar SERIES VERSION WHAT: the linux-source-<series> tarball of that
# version, uncompressed, on stdout
source_tar() {
	local s=$1 v=$2 what=$3 tarball=/usr/src/linux-source-$1.tar.xz have dl
	# an installed linux-source-<series> of the same version needs
	# no download (hosts without network at kernel upgrade time)
	have=$(dpkg-query -W -f '${Version}' "linux-source-$s" 2>/dev/null || true)
	if [[ $have == "$v" && -r $tarball ]]; then
		note "linux-source-$s $v: taking the $what from the installed package"
		xz -dc "$tarball"
		return
	fi
	if ! apt-cache show "linux-source-$s=$v" >/dev/null 2>&1; then
		die "linux-source-$s version $v (the version of the kernel's headers) is neither installed nor in the apt index; run 'apt-get update', install linux-source-$s=$v, or give a kernel tree with KSRC=<dir>"
	fi
	note "fetching linux-source-$s $v ($what)"
	dl=$CACHE/debs/src-$s-$v
	rm -rf "$dl"
	apt_download "$dl" "linux-source-$s=$v"
	# stream: the tarball is large and we need a handful of files
	local rc=0
	dpkg-deb --fsys-tarfile "$dl"/*.deb |
		tar -xO "./usr/src/linux-source-$s.tar.xz" | xz -dc || rc=$?
	rm -rf "$dl"
	return $rc
}

source_dir() {
	local kver=$1
	if [[ -n ${KSRC:-} ]]; then
		[[ -e $KSRC/drivers/net/bonding/bond_main.c ]] ||
			die "kernel $kver: KSRC=$KSRC has no drivers/net/bonding/bond_main.c"
		echo "$KSRC"; return
	fi
	local s v dir
	s=$(series_of "$kver")
	v=$(deb_version "$kver")
	dir=$CACHE/src/$s-$v
	if [[ ! -e $dir/.done ]]; then
		local members=()
		for p in "${SRC_PATHS[@]}"; do members+=("linux-source-$s/$p"); done
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		source_tar "$s" "$v" "bonding sources" |
			tar -x -C "$dir.tmp" --strip-components=1 "${members[@]}" ||
			die "kernel $kver: cannot extract ${SRC_PATHS[*]} from linux-source-$s $v"
		mv "$dir.tmp" "$dir"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# The upstream bonding selftests and the libraries they source, added to
# the source dir on first use (make upstream-selftests); prints the
# selftests dir (tools/testing/selftests).
selftests_dir() {
	local kver=$1 src s v tmp st=tools/testing/selftests p members=()
	src=$(source_dir "$kver")
	if [[ -n ${KSRC:-} ]]; then
		[[ -e $KSRC/$st/net/forwarding/lib.sh ]] ||
			die "kernel $kver: KSRC=$KSRC has no $st/net/forwarding/lib.sh"
		echo "$KSRC/$st"; return
	fi
	if [[ ! -e $src/.selftests-done ]]; then
		s=$(series_of "$kver")
		v=$(deb_version "$kver")
		tmp=$src/.selftests.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"
		for p in "${SELFTEST_PATHS[@]}"; do members+=("linux-source-$s/$p"); done
		# net/lib.sh is not in every series: a missing member makes tar
		# fail after extracting the others, so judge by what arrived
		source_tar "$s" "$v" "upstream selftests" |
			tar -x -C "$tmp" --strip-components=1 "${members[@]}" 2>"$tmp.err" || true
		for p in drivers/net/bonding/Makefile net/forwarding/lib.sh; do
			[[ -e $tmp/$st/$p ]] || { cat "$tmp.err" >&2; die "kernel $kver: no $st/$p in linux-source-$s $v"; }
		done
		rm -f "$tmp.err"
		cp -a "$tmp/." "$src/"
		rm -rf "$tmp"
		touch "$src/.selftests-done"
	fi
	echo "$src/$st"
}

image_dir() {
	local kver=$1 dir=$CACHE/kernels/$1/image
	if [[ ! -e $dir/.done ]]; then
		local v
		v=$(deb_version "$kver")
		note "kernel $kver: fetching linux-image $v"
		rm -rf "$dir" "$CACHE/debs/img-$kver"
		apt_download "$CACHE/debs/img-$kver" "linux-image-$kver-unsigned=$v"
		mkdir -p "$dir"
		dpkg-deb -x "$CACHE/debs/img-$kver"/*.deb "$dir"
		rm -rf "$CACHE/debs/img-$kver"
		[[ -e $dir/boot/vmlinuz-$kver ]] || die "kernel $kver: image package has no boot/vmlinuz-$kver"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# Build directory = pristine bonding sources with our patch applied, plus
# symlinks to our own files.  Redone whenever the sources or patch change.
prepare() {
	local kver=$1 b=$2 s src stamp p
	s=$(series_of "$kver")
	src=$(source_dir "$kver")
	# patches/common applies to every series; patches/<series> holds only
	# what really differs between 6.1 and 6.12
	local patches=()
	for p in "$ROOT"/patches/common/*.patch "$ROOT/patches/$s"/*.patch; do
		[[ -e $p ]] && patches+=("$p")
	done
	((${#patches[@]})) || die "kernel $kver: no integration patch (patches/common/*.patch)"
	# redo when the patches or the pristine sources change
	stamp=$(cat "${patches[@]}" "$src"/drivers/net/bonding/*.[ch] \
		"$src"/include/net/bond*.h | md5sum | cut -d' ' -f1)
	if [[ ! -e $b/.prepared ]] || [[ $(cat "$b/.prepared") != "$stamp" ]]; then
		rm -rf "$b"
		# same layout as a kernel tree, so the patch applies to either
		mkdir -p "$b/drivers/net/bonding" "$b/include/net"
		cp "$src"/drivers/net/bonding/*.[ch] "$src/drivers/net/bonding/Makefile" \
			"$b/drivers/net/bonding/"
		for h in bonding.h bond_3ad.h bond_alb.h bond_options.h; do
			[[ -e $src/include/net/$h ]] ||
				die "kernel $kver: $src/include/net/$h is missing"
			cp "$src/include/net/$h" "$b/include/net/"
		done
		for p in "${patches[@]}"; do
			if ! patch -d "$b" -p1 --no-backup-if-mismatch -F0 <"$p" >"$b/patch.log" 2>&1; then
				# the failed hunks, each under the file it is for
				awk '/^patching file/ { f = $0; shown = 0; next }
				     /FAILED|can.t find|malformed/ { if (!shown) print f; shown = 1; print }' \
					"$b/patch.log" >&2
				die "kernel $kver: ${p#"$ROOT"/} does not apply to the bonding sources in $src (failed hunks above)"
			fi
		done
		rm -f "$b/patch.log"
		echo "$stamp" >"$b/.prepared"
	fi
	# our files are linked, so edits need no re-preparation
	ln -sfn "$ROOT/Kbuild" "$b/drivers/net/bonding/Kbuild"
	for p in "$ROOT"/src/*.c; do
		ln -sfn "$p" "$b/drivers/net/bonding/$(basename "$p")"
	done
	echo "$b"
}

cmd=${1:-}
shift || true
case $cmd in
default-kver) default_kver ;;
latest) latest "$1" ;;
series) series_of "$1" ;;
kdir) kdir "$1" ;;
source) source_dir "$1" ;;
image) image_dir "$1" ;;
version) deb_version "$1" ;;
selftests) selftests_dir "$1" ;;
tarball) source_tar "$(series_of "$1")" "$(deb_version "$1")" "whole tree" ;;
prepare) prepare "$1" "$2" ;;
*) die "usage: kernel.sh default-kver|latest SERIES|series KVER|kdir KVER|source KVER|image KVER|version KVER|selftests KVER|tarball KVER|prepare KVER BUILDDIR" ;;
esac
