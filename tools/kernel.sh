#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Find, download and unpack what a Debian kernel release needs for us:
# headers (to build against), the pristine bonding sources from the matching
# linux-source-<series> package, and the kernel image (for the VM tests).
# Packages are unpacked into a cache, never installed on the host.
#
#   kernel.sh default-kver            running kernel if it has headers, else
#                                     latest host
#   kernel.sh latest SERIES           newest release of a series: 6.1, 6.12
#                                     (= 6.12+deb12, bookworm's build),
#                                     6.12+deb13 (trixie's), 7.x (newest 7
#                                     of trixie-backports), 7.N, or host
#                                     (the host's release's: 6.1 on Debian
#                                     12, 6.12+deb13 on Debian 13)
#   kernel.sh series KVER             6.1 / 6.12 / 7.3 ...
#   kernel.sh suite KVER              the Debian release that built KVER
#                                     (bookworm, trixie): its toolchain
#   kernel.sh kdir KVER               headers dir (download if needed);
#                                     also N-686-pae, the 32-bit build of
#                                     6.1.0-N (make check builds for it)
#   kernel.sh run KVER CMD...         run CMD with KVER's toolchain: here
#                                     when the host is KVER's suite, else in
#                                     a root of that suite (buildroot)
#   kernel.sh buildroot SUITE         debootstrap (once) a minimal root with
#                                     that suite's compiler, print its dir
#   kernel.sh source KVER             dir with pristine bonding sources
#   kernel.sh image KVER              dir with boot/ and lib/modules/
#   kernel.sh version KVER            Debian package version of KVER
#   kernel.sh selftests KVER          tools/testing/selftests dir with the
#                                     upstream bonding selftests and the
#                                     net/ libraries they source
#   kernel.sh series-source KVER      the source dir with what make series
#                                     changes beyond bonding (uapi, specs)
#   kernel.sh tarball KVER            the whole linux-source tarball of
#                                     KVER's version, uncompressed, on stdout
#   kernel.sh prepare KVER BUILDDIR   pristine sources + our patch + our
#                                     files, ready for Kbuild
#
# Environment: SLB_CACHE (default <repo>/.cache), KSRC (take the bonding
# sources from this kernel tree instead of linux-source-<series>),
# SLB_DEBIAN_MIRROR / SLB_SECURITY_MIRROR (archives of the private lists).
# Packages are looked up in the system's apt index first, then in private
# lists for bookworm and trixie (with -updates, -security, -backports)
# under $SLB_CACHE/apt, so a Debian 12 host finds trixie's kernels and a
# Debian 13 host bookworm's; the system's apt state is never changed.
# The bonding sources come from the installed linux-source-<series> package
# when its version is the kernel's, else from the archive (download).
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
# in some trees only: sparse's version check, which 7.x's Kbuild runs and
# its headers package lacks (make lint puts it back)
SRC_OPTIONAL=(scripts/checker-valid.sh)
# make series: the other files the upstream series changes
SERIES_PATHS=(include/uapi/linux/if_bonding.h include/uapi/linux/if_link.h
	      Documentation/netlink/specs/rt-link.yaml MAINTAINERS)
# make upstream-selftests: the bonding selftests and what they source
# (net/lib/sh has defer.sh, which 6.8's net/lib.sh and later source:
# without it tests_run and defer are not defined)
SELFTEST_PATHS=(tools/testing/selftests/drivers/net/bonding
		tools/testing/selftests/net/forwarding/lib.sh
		tools/testing/selftests/net/lib.sh
		tools/testing/selftests/net/lib/sh)

die() { echo "kernel.sh: error: $*" >&2; exit 1; }
note() { echo "kernel.sh: $*" >&2; }

series_of() {
	[[ $1 =~ ^([0-9]+)\.([0-9]+)[.-] ]] || die "cannot tell the kernel series of release '$1'"
	echo "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
}

APTDIR=$CACHE/apt
# the Debian releases whose kernels we know, and the gcc each built them with
SUITES=(bookworm trixie)
declare -A SUITE_GCC=([bookworm]=gcc-12 [trixie]=gcc-14)

# apt-get/apt-cache with only our lists and state ($APTDIR)
apt_private() {
	local tool=$1; shift
	"$tool" -q -o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::State::status=/dev/null \
		-o Dir::Cache="$APTDIR/cache" \
		-o APT::Sandbox::User="$(id -un)" "$@"
}

debian_mirror() {	# the system's Debian mirror, or deb.debian.org
	local uri
	if [[ -n ${SLB_DEBIAN_MIRROR:-} ]]; then echo "$SLB_DEBIAN_MIRROR"; return; fi
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	uri=$(apt-get indextargets --format '$(REPO_URI)' 'Origin: Debian' \
		'Identifier: Packages' 2>/dev/null | grep -v security | head -1)
	echo "${uri:-http://deb.debian.org/debian/}"
}

# Write the private lists and refresh them once a day or when they change.
private_update() {
	local list=$APTDIR/sources.list.new key=/usr/share/keyrings/debian-archive-keyring.gpg
	local opt="" m sm su
	[[ -r $key ]] && opt="[signed-by=$key] "
	m=$(debian_mirror)
	sm=${SLB_SECURITY_MIRROR:-http://deb.debian.org/debian-security/}
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	: >"$list"
	for su in "${SUITES[@]}"; do
		printf 'deb %s%s %s main\n' "$opt" "$m" "$su" "$opt" "$m" "$su-updates" \
			"$opt" "$m" "$su-backports" "$opt" "$sm" "$su-security" >>"$list"
	done
	mv "$list" "$APTDIR/sources.list"
	if [[ ! -e $APTDIR/lists/.done ]] ||
	   ! cmp -s "$APTDIR/sources.list" "$APTDIR/lists/.done" ||
	   [[ -n $(find "$APTDIR/lists/.done" -mmin +1440) ]]; then
		note "updating the private package lists ($APTDIR)"
		apt_private apt-get update >&2 ||
			die "apt-get update of $APTDIR/sources.list failed"
		cp "$APTDIR/sources.list" "$APTDIR/lists/.done"
	fi
}

# private_cache ARGS: apt-cache on the private lists, updated on first use
PRIVATE_READY=
private_cache() {
	[[ -n $PRIVATE_READY ]] || { private_update; PRIVATE_READY=1; }
	apt_private apt-cache "$@"
}

apt_download() {	# dir pkg=version...: from the system's index, else ours
	local dir=$1 p; shift
	mkdir -p "$dir"
	for p in "$@"; do
		# apt-cache show P=V succeeds, silently, when P has no V
		if apt-cache show "$p" 2>/dev/null | grep '^Version: ' >/dev/null; then
			(cd "$dir" && apt-get -q -o APT::Sandbox::User=root download "$p" >&2) ||
				die "apt-get download $p failed"
		elif private_cache show "$p" 2>/dev/null | grep '^Version: ' >/dev/null; then
			(cd "$dir" && apt_private apt-get download "$p" >&2) ||
				die "apt-get download $p (private lists) failed"
		else
			die "package $p is in no package index (the system's, or $APTDIR)"
		fi
	done
}

# pool_download DIR PKG=VERSION: the i386 build of a package of the linux
# source upload, from the archive's pool (this host's index has amd64 only;
# the kbuild tools stay the host's, so only the headers come from i386)
pool_download() {
	local dir=$1 p=${2%%=*} v=${2#*=} m sm f
	m=$(debian_mirror)
	sm=${SLB_SECURITY_MIRROR:-http://deb.debian.org/debian-security/}
	f=${p}_${v}_i386.deb
	mkdir -p "$dir"
	/usr/lib/apt/apt-helper download-file "${m%/}/pool/main/l/linux/$f" "$dir/$f" >/dev/null 2>&1 ||
		/usr/lib/apt/apt-helper download-file "${sm%/}/pool/updates/main/l/linux/$f" "$dir/$f" >&2 ||
		die "cannot download $f from the pool of $m or $sm"
}

pkg_version() {		# newest version of a package an index offers
	local v
	v=$(apt-cache show "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
	[[ -n $v ]] || v=$(private_cache show "$1" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -1)
	echo "$v"
}

latest() {
	local s=$1 re
	if [[ $s == host ]]; then
		# the host's own release's kernel
		case $(host_suite) in trixie) s=6.12+deb13 ;; *) s=6.1 ;; esac
	fi
	case $s in
	6.1) re='6\.1\.0-[0-9]+' ;;
	6.12|6.12+deb12) re='6\.12\.[0-9]+\+deb12' ;;
	6.12+deb13) re='6\.12\.[0-9]+\+deb13' ;;
	7.x) re='7\.[0-9]+\.[0-9]+\+deb[0-9]+' ;;
	7.[0-9]|7.[0-9][0-9]) re="${s//./\\.}\\.[0-9]+\\+deb[0-9]+" ;;
	*) die "unsupported kernel series '$s' (supported: 6.1, 6.12 = 6.12+deb12, 6.12+deb13, 7.x, 7.N)" ;;
	esac
	re="^linux-headers-$re-amd64\$"
	local r
	r=$({ apt-cache search --names-only "$re" 2>/dev/null
	      private_cache search --names-only "$re"; } | awk '{print $1}' |
		sed 's/^linux-headers-//' | sort -uV | tail -1)
	[[ -n $r ]] || die "no linux-headers package for series $s in the package index (the system's, or $APTDIR)"
	echo "$r"
}

# The Debian release that built KVER: its headers' tools link that
# release's libc and its Makefile names that release's gcc.
suite_of() {
	case $1 in
	6.1.0-*|*+deb12-*) echo bookworm ;;
	*+deb13-*) echo trixie ;;
	*) die "kernel $1: cannot tell which Debian release built it (known: 6.1.0-N, +deb12, +deb13)" ;;
	esac
}

host_suite() {
	# shellcheck disable=SC1091
	(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
}

# A minimal root of SUITE with what building a module needs, made by
# debootstrap once and remade when this list changes.
buildroot() {
	local su=$1 dir=$CACHE/roots/$1 pkgs stamp
	[[ -n ${SUITE_GCC[$su]:-} ]] || die "no build root for '$su' (known: ${SUITES[*]})"
	pkgs="${SUITE_GCC[$su]},make,libc6-dev,xz-utils,kmod,bc,patch,dwarves,sparse"
	case $su in
	bookworm) pkgs+=",libelf1,libssl3" ;;
	*) pkgs+=",libelf1t64,libssl3t64" ;;
	esac
	stamp="$su $pkgs $(debian_mirror)"
	if [[ ! -e $dir/.slb-root ]] || [[ $(cat "$dir/.slb-root") != "$stamp" ]]; then
		[[ $(id -u) -eq 0 ]] ||
			die "a $su build root is needed ($dir) and making it needs root: run 'sudo tools/kernel.sh buildroot $su' once"
		command -v debootstrap >/dev/null ||
			die "a $su build root is needed ($dir): install debootstrap (tools/deps.sh)"
		note "making a $su build root in $dir (debootstrap, about a minute)"
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		debootstrap --variant=minbase --include="$pkgs" "$su" "$dir.tmp" \
			"$(debian_mirror)" >"$dir.log" 2>&1 || {
			tail -20 "$dir.log" >&2
			die "debootstrap of $su into $dir.tmp failed (log: $dir.log)"
		}
		rm -rf "$dir.tmp/var/cache/apt/archives/"*.deb
		echo "$stamp" >"$dir.tmp/.slb-root"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# run_in KVER CMD...: CMD with the toolchain that built KVER.  In a build
# root, this repository, the cache and the working directory keep their
# paths (bind mounts in a private mount namespace), so nothing else needs
# to know.
run_in() {
	local kver=$1 su r d; shift
	# a kernel tree given as KDIR (not headers we unpacked: the debug
	# kernel, or the user's own) was built here, with the host's compiler
	if [[ ( -n ${KDIR:-} && $KDIR != "$CACHE"/kernels/* ) ||
	      -e /lib/modules/$kver/build/Makefile ]]; then
		exec "$@"
	fi
	su=$(suite_of "$kver")
	[[ $su != "$(host_suite)" ]] || exec "$@"
	r=$(buildroot "$su")
	local binds=("$ROOT")
	[[ $CACHE == "$ROOT"/* ]] || binds+=("$CACHE")
	[[ $PWD == "$ROOT" || $PWD == "$ROOT"/* || $PWD == "$CACHE"/* ]] || binds+=("$PWD")
	for d in "${binds[@]}"; do mkdir -p "$r$d"; done
	# the build root's /tmp, not a host directory it lacks
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec env -u TMPDIR unshare -m --propagation private sh -c '
		r=$1 n=$2; shift 2
		while [ "$n" -gt 0 ]; do
			mount --rbind "$1" "$r$1" || exit 1
			shift; n=$((n - 1))
		done
		mount --rbind /proc "$r/proc" && mount --rbind /dev "$r/dev" || exit 1
		w=$1; shift
		exec chroot "$r" sh -c '\''cd "$0" && exec "$@"'\'' "$w" "$@"
	' run_in "$r" "${#binds[@]}" "${binds[@]}" "$PWD" "$@"
}

default_kver() {
	local r
	r=$(uname -r)
	if [[ -e /lib/modules/$r/build/Makefile ]]; then
		echo "$r"
	else
		latest host
	fi
}

# Version of the Debian packages that built KVER: installed headers first,
# then the apt index.
deb_version() {
	local kver=$1 v
	# a 32-bit flavour is built from the same source upload as its amd64
	# twin, whose index entry this host has
	[[ $kver != *-686-pae ]] || kver=${kver%-686-pae}-amd64
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
		local base=${kver%-amd64} flavour=(apt_download)
		[[ $kver != *-686-pae ]] || base=${kver%-686-pae} flavour=(pool_download)
		v=$(deb_version "$kver")
		s=$(series_of "$kver")
		common=$base-common
		# 6.1's kbuild package is per series, 6.12's per release
		if [[ -n $(pkg_version "linux-kbuild-$base") ]]; then
			kb=linux-kbuild-$base
		else
			kb=linux-kbuild-$s
		fi
		note "kernel $kver: fetching headers $v"
		rm -rf "$root" "$CACHE/debs/hdr-$kver"
		"${flavour[@]}" "$CACHE/debs/hdr-$kver" "linux-headers-$kver=$v"
		apt_download "$CACHE/debs/hdr-$kver" "linux-headers-$common=$v" "$kb=$v"
		mkdir -p "$root"
		for d in "$CACHE/debs/hdr-$kver"/*.deb; do
			dpkg-deb -x "$d" "$root"
		done
		rm -rf "$CACHE/debs/hdr-$kver"
		touch "$root/.done"
	fi
	[[ -e $hdr/Makefile ]] || die "kernel $kver: headers unpacked but $hdr/Makefile is missing"
	# Debian's headers name their -common half (and from 7.x themselves,
	# as KBUILD_OUTPUT) by absolute path: point them into this cache,
	# again whenever the checkout or SLB_CACHE has moved since
	grep -q "^include $root/usr/src/" "$hdr/Makefile" ||
		sed -i "s#^\(include \|KBUILD_OUTPUT=\)\(/[^ ]*\)\?/usr/src/#\1$root/usr/src/#" "$hdr/Makefile"
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
	if ! apt-cache show "linux-source-$s=$v" 2>/dev/null | grep '^Version: ' >/dev/null &&
	   ! private_cache show "linux-source-$s=$v" 2>/dev/null | grep '^Version: ' >/dev/null; then
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
	# .done names what was asked for: a longer list extracts again
	if [[ ! -e $dir/.done || $(cat "$dir/.done") != "${SRC_PATHS[*]} ${SRC_OPTIONAL[*]}" ]]; then
		local members=()
		for p in "${SRC_PATHS[@]}" "${SRC_OPTIONAL[@]}"; do members+=("linux-source-$s/$p"); done
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		# an optional member missing makes tar fail after extracting
		# the others: judge by what arrived
		source_tar "$s" "$v" "bonding sources" |
			tar -x -C "$dir.tmp" --strip-components=1 "${members[@]}" 2>"$dir.err" || true
		for p in "${SRC_PATHS[@]}"; do
			[[ -e $dir.tmp/$p ]] || { cat "$dir.err" >&2
				die "kernel $kver: cannot extract $p from linux-source-$s $v"; }
		done
		rm -f "$dir.err"
		mv "$dir.tmp" "$dir"
		echo "${SRC_PATHS[*]} ${SRC_OPTIONAL[*]}" >"$dir/.done"
	fi
	echo "$dir"
}

# The upstream bonding selftests and the libraries they source, added to
# the source dir on first use (make upstream-selftests); prints the
# selftests dir (tools/testing/selftests).
selftests_dir() {
	local kver=$1 src st=tools/testing/selftests p
	if [[ -n ${KSRC:-} ]]; then
		[[ -e $KSRC/$st/net/forwarding/lib.sh ]] ||
			die "kernel $kver: KSRC=$KSRC has no $st/net/forwarding/lib.sh"
		echo "$KSRC/$st"; return
	fi
	src=$(add_members "$kver" selftests "upstream selftests" "${SELFTEST_PATHS[@]}")
	for p in drivers/net/bonding/Makefile net/forwarding/lib.sh; do
		[[ -e $src/$st/$p ]] || { cat "$src/.selftests.err" >&2
			die "kernel $kver: no $st/$p in linux-source-$(series_of "$kver") $(deb_version "$kver")"; }
	done
	echo "$src/$st"
}

image_dir() {
	local kver=$1 dir=$CACHE/kernels/$1/image
	if [[ ! -e $dir/.done ]]; then
		local v d
		v=$(deb_version "$kver")
		note "kernel $kver: fetching linux-image $v"
		rm -rf "$dir" "$CACHE/debs/img-$kver"
		# up to 6.12 one package; from 7.x the image and its modules
		# come in two (linux-image-* is then a metapackage)
		local pkgs=("linux-image-$kver-unsigned=$v")
		if [[ -z $(pkg_version "linux-image-$kver-unsigned") ]]; then
			pkgs=("linux-modules-$kver=$v" "linux-base-$kver=$v")
			if [[ -n $(pkg_version "linux-binary-unsigned-$kver") ]]; then
				pkgs+=("linux-binary-unsigned-$kver=$v")
			else
				pkgs+=("linux-binary-$kver=$v")
			fi
		fi
		apt_download "$CACHE/debs/img-$kver" "${pkgs[@]}"
		mkdir -p "$dir"
		for d in "$CACHE/debs/img-$kver"/*.deb; do dpkg-deb -x "$d" "$dir"; done
		rm -rf "$CACHE/debs/img-$kver"
		# trixie's packages install into /usr/lib/modules, 7.x's keep
		# the kernel there too: one layout for the VM tools
		if [[ ! -e $dir/lib/modules && -d $dir/usr/lib/modules ]]; then
			mv "$dir/usr/lib/modules" "$dir/lib/modules" 2>/dev/null ||
				{ mkdir -p "$dir/lib" && mv "$dir/usr/lib/modules" "$dir/lib/"; }
		fi
		local k
		for k in vmlinuz vmlinuz.unsigned; do
			[[ -e $dir/boot/vmlinuz-$kver || ! -e $dir/lib/modules/$kver/$k ]] ||
				{ mkdir -p "$dir/boot" && ln -s "../lib/modules/$kver/$k" "$dir/boot/vmlinuz-$kver"; }
		done
		[[ -e $dir/boot/vmlinuz-$kver ]] || die "kernel $kver: image packages have no boot/vmlinuz-$kver"
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
	# what really differs there: a patch of the same name replaces the
	# common one, other names are added (all in the order of their names)
	local patches=() names=()
	for p in "$ROOT"/patches/common/*.patch "$ROOT/patches/$s"/*.patch; do
		[[ -e $p ]] && names+=("${p##*/}")
	done
	while read -r p; do
		[[ -n $p ]] || continue
		if [[ -e $ROOT/patches/$s/$p ]]; then
			patches+=("$ROOT/patches/$s/$p")
		else
			patches+=("$ROOT/patches/common/$p")
		fi
	done < <(printf '%s\n' "${names[@]}" | sort -u)
	((${#patches[@]})) || die "kernel $kver: no integration patch (patches/common/*.patch)"
	# then what only the out-of-tree module has (not in the upstream series)
	for p in "$ROOT"/patches/oot/*.patch; do
		[[ -e $p ]] && patches+=("$p")
	done
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
	for p in "$ROOT"/src/*.c "$ROOT"/src/oot/*.c; do
		ln -sfn "$p" "$b/drivers/net/bonding/$(basename "$p")"
	done
	echo "$b"
}

# add_members KVER NAME WHAT PATH...: PATHs of KVER's linux-source added
# to its source dir, once; the marker .NAME-done holds the list, so a
# longer list extracts again.  A member missing from a series (net/lib.sh
# is not in every one) makes tar fail after extracting the others: the
# caller judges by what arrived, tar's complaints in .NAME.err.  Prints
# the source dir.
add_members() {
	local kver=$1 name=$2 what=$3 src s v tmp p members=()
	shift 3
	src=$(source_dir "$kver")
	if [[ "$(cat "$src/.$name-done" 2>/dev/null)" != "$*" ]]; then
		s=$(series_of "$kver")
		v=$(deb_version "$kver")
		tmp=$src/.$name.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"
		for p; do members+=("linux-source-$s/$p"); done
		source_tar "$s" "$v" "$what" |
			tar -x -C "$tmp" --strip-components=1 "${members[@]}" 2>"$src/.$name.err" || true
		cp -a "$tmp/." "$src/"
		rm -rf "$tmp"
		echo "$*" >"$src/.$name-done"
	fi
	echo "$src"
}

# The source dir with SERIES_PATHS added (make series).
series_dir() {
	local kver=$1 src p
	src=$(source_dir "$kver")
	[[ -n ${KSRC:-} ]] ||
		src=$(add_members "$kver" series "files of the upstream series" "${SERIES_PATHS[@]}")
	for p in "${SERIES_PATHS[@]}"; do
		[[ -e $src/$p ]] || { cat "$src/.series.err" >&2 2>/dev/null
			die "kernel $kver: no $p in $src"; }
	done
	echo "$src"
}

cmd=${1:-}
shift || true
case $cmd in
default-kver) default_kver ;;
latest) latest "$1" ;;
series) series_of "$1" ;;
suite) suite_of "$1" ;;
kdir) kdir "$1" ;;
run) run_in "$@" ;;
buildroot) buildroot "$1" ;;
source) source_dir "$1" ;;
image) image_dir "$1" ;;
version) deb_version "$1" ;;
selftests) selftests_dir "$1" ;;
series-source) series_dir "$1" ;;
tarball) source_tar "$(series_of "$1")" "$(deb_version "$1")" "whole tree" ;;
prepare) prepare "$1" "$2" ;;
*) die "usage: kernel.sh default-kver|latest SERIES|series KVER|suite KVER|kdir KVER|run KVER CMD...|buildroot SUITE|source KVER|image KVER|version KVER|selftests KVER|series-source KVER|tarball KVER|prepare KVER BUILDDIR" ;;
esac
