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
# The tarball is found with a private deb-src list with its own apt lists
# and cache under $SLB_CACHE/iproute2/apt/upstream: the system's apt configuration
# and state are not changed.  apt checks the signed Release files of the
# suites and the Sources indexes against them; the tarball must match the
# SHA256 that an index gives for it.  A version whose tarball the archive
# no longer serves (an index can name a file the pool does not have yet)
# is skipped for the next older one.  The mirror is the one the system uses
# for Debian; SLB_DEBIAN_MIRROR=<url> and SLB_DEBIAN_SUITE="<suite>..."
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
# its own dir: the old bookworm deb-src list in iproute2/apt is not ours
APTDIR=$CACHE/iproute2/apt/upstream
ORIGDIR=$CACHE/iproute2/orig
# what building ip needs (also in tools/deps.sh)
BUILD_PKGS=(make gcc libc6-dev xz-utils patch pkgconf libmnl-dev)
APT_HELPER=/usr/lib/apt/apt-helper

die() { echo "iproute2.sh: error: $*" >&2; exit 1; }
note() { echo "iproute2.sh: $*" >&2; }

apt_private() {	# apt-get/apt-helper with only our deb-src list and state
	local tool=$1; shift
	"$tool" -q -o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" \
		-o APT::Sandbox::User="$(id -un)" "$@"
}

# the Debian archive the system's apt uses (not its security archive)
debian_mirror() {
	local uri suite
	if [[ -n ${SLB_DEBIAN_MIRROR:-} ]]; then
		echo "${SLB_DEBIAN_MIRROR%/}"
		return
	fi
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	while read -r uri suite; do
		[[ $suite == *-security ]] && continue
		echo "${uri%/}"
		return
	done < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
			'Origin: Debian' 'Identifier: Packages' 2>/dev/null | sort -u)
	echo http://deb.debian.org/debian
}

# deb-src lines: the newest suites first, and the host's own release
write_sources() {
	local list=$APTDIR/sources.list.new key=/usr/share/keyrings/debian-archive-keyring.gpg
	local opt="" mirror suite suites own=""
	[[ -r $key ]] && opt="[signed-by=$key] "
	mirror=$(debian_mirror)
	# shellcheck disable=SC1091
	[[ -r /etc/os-release ]] && own=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	suites=${SLB_DEBIAN_SUITE:-unstable testing stable-backports $own}
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	: >"$list"
	for suite in $suites; do
		echo "deb-src $opt$mirror $suite main" >>"$list"
	done
	[[ -s $list ]] || die "no Debian suite to search (SLB_DEBIAN_SUITE is empty)"
	mv "$list" "$APTDIR/sources.list"
}

update_lists() {
	write_sources
	# the lists are refreshed once a day, or when the sources change
	if [[ -e $APTDIR/lists/.done ]] &&
	   cmp -s "$APTDIR/sources.list" "$APTDIR/lists/.done" &&
	   [[ -z $(find "$APTDIR/lists/.done" -mmin +1440) ]]; then
		return
	fi
	# any index that fails counts: apt would use an old one silently
	if apt_private apt-get --error-on=any update >&2; then
		cp "$APTDIR/sources.list" "$APTDIR/lists/.done"
	elif [[ -e $APTDIR/lists/.done ]] &&
	     cmp -s "$APTDIR/sources.list" "$APTDIR/lists/.done"; then
		note "apt-get update failed: using the lists of $(date -r "$APTDIR/lists/.done" +%F)"
	else
		die "apt-get update of the private deb-src list failed ($APTDIR/sources.list)"
	fi
}

# One line per iproute2 source package in the verified Sources indexes:
# "upstream-version debian-version suite directory/file sha256 size".
# Newest upstream version first.
list_origs() {
	local f suite code trusted
	# parsed once per update of the lists
	if [[ $APTDIR/origs -nt $APTDIR/lists/.done ]]; then
		cat "$APTDIR/origs"
		return
	fi
	# the Sources files of our list that apt verified, nothing stale
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	while read -r f suite code trusted; do
		[[ $trusted == yes && -e $f ]] || continue
		[[ -z $code || $code == "$suite" ]] || suite+="($code)"
		"$APT_HELPER" cat-file "$f" | awk -v suite="$suite" '
		function flush() {
			if (pkg == "iproute2" && file != "") {
				up = ver; sub(/^[0-9]+:/, "", up); sub(/-[^-]*$/, "", up)
				print up, ver, suite, dir "/" file, sum, size
			}
			pkg = ver = dir = file = sum = size = ""; insum = 0
		}
		/^$/ { flush(); next }
		/^Package:/ { pkg = $2 }
		/^Version:/ { ver = $2 }
		/^Directory:/ { dir = $2 }
		/^[^ ]/ { insum = ($1 == "Checksums-Sha256:") ; next }
		insum && $3 ~ /\.orig\.tar\.[a-z0-9]+$/ { sum = $1; size = $2; file = $3 }
		END { flush() }'
	done < <(apt_private apt-get indextargets \
			--format '$(FILENAME) $(SUITE) $(CODENAME) $(TRUSTED)' \
			'Identifier: Sources') | sort -k1,1Vr -k2,2Vr >"$APTDIR/origs.new"
	mv "$APTDIR/origs.new" "$APTDIR/origs"
	cat "$APTDIR/origs"
}

# the verified orig tarball, downloaded once; its path on stdout
fetch_orig() {
	local want=${IPROUTE2_VERSION:-} mirror cands up ver suite path sum size
	local file tried=() seen=" "
	update_lists
	mirror=$(debian_mirror)
	cands=$(list_origs)
	[[ -n $cands ]] || die "no iproute2 source package in the Sources indexes of $APTDIR/sources.list"
	if [[ -n $want ]]; then
		cands=$(awk -v w="$want" '$1 == w || $2 == w' <<<"$cands")
		[[ -n $cands ]] || die "iproute2 $want is in no Sources index of $APTDIR/sources.list (they have: $(list_origs | awk '{print $2}' | sort -uV | tr '\n' ' '))"
	fi
	mkdir -p "$ORIGDIR"
	while read -r up ver suite path sum size; do
		[[ $seen == *" $up "* ]] && continue
		file=${path##*/}
		# a cached tarball counts only with the checksum an index gives
		if [[ -e $ORIGDIR/$file ]] &&
		   [[ $(sha256sum "$ORIGDIR/$file" | cut -d' ' -f1) == "$sum" ]]; then
			echo "$up $ver $suite $sum $file" >"$ORIGDIR/$file.origin"
			echo "$ORIGDIR/$file"
			return
		fi
		note "fetching $file ($size bytes, listed by $suite's Sources as iproute2 $ver)"
		rm -f "$ORIGDIR/$file.tmp"
		if apt_private "$APT_HELPER" download-file "$mirror/$path" \
				"$ORIGDIR/$file.tmp" "SHA256:$sum" >"$ORIGDIR/err" 2>&1 &&
		   [[ $(sha256sum "$ORIGDIR/$file.tmp" | cut -d' ' -f1) == "$sum" ]]; then
			mv "$ORIGDIR/$file.tmp" "$ORIGDIR/$file"
			rm -f "$ORIGDIR/err"
			echo "$up $ver $suite $sum $file" >"$ORIGDIR/$file.origin"
			echo "$ORIGDIR/$file"
			return
		fi
		note "iproute2 $up: not downloadable or not matching, skipped: $(grep -m1 '^E:' "$ORIGDIR/err" || echo "$mirror/$path: checksum mismatch")"
		rm -f "$ORIGDIR/$file.tmp" "$ORIGDIR/err"
		# all packages of one upstream version share the one tarball
		seen+="$up "
		tried+=("$up")
	done <<<"$cands"
	[[ -z $want ]] || die "IPROUTE2_VERSION=$want: the archive does not serve its tarball"
	die "no iproute2 upstream tarball could be fetched (tried ${tried[*]})"
}

# the pristine upstream sources, unpacked once; their dir on stdout, and in
# its parent .origin: "upstream-version debian-version suite sha256 file"
fetch_source() {
	local orig up dir src
	orig=$(fetch_orig)
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
orig) fetch_orig ;;
*) die "usage: iproute2.sh [build|source|orig]" ;;
esac
