#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sparse.sh KVER: the path of a sparse that KVER's Kbuild accepts.
#
# 7.x's Kbuild asks scripts/checker-valid.sh whether sparse knows
# __typeof_unqual__; Debian 13's sparse 0.6.4 does not.  Then the newest
# sparse tarball that Debian's archive lists (tools/debsrc.sh: verified
# against a signed Sources index) is built once, in KVER's build root
# (tools/kernel.sh run), into $SLB_CACHE/sparse/<version>/.  Where the
# distribution's sparse passes, it is used as it is ("sparse").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SLB_CACHE:-$ROOT/.cache}
APTDIR=$CACHE/debsrc/apt
ORIGDIR=$CACHE/debsrc/orig
K=$ROOT/tools/kernel.sh

die() { echo "sparse.sh: error: $*" >&2; exit 1; }
note() { echo "sparse.sh: $*" >&2; }
# shellcheck source=tools/debsrc.sh
. "$ROOT/tools/debsrc.sh"

kver=${1:-}
[[ -n $kver ]] || die "usage: sparse.sh KVER"
src=$("$K" source "$kver")
valid=$src/scripts/checker-valid.sh

kdir=$("$K" kdir "$kver")
# 7.x's Kbuild asks scripts/checker-valid.sh whether sparse works, and
# Debian's headers lack it: into our unpacked headers (never the system's)
# from the kernel's source
common=$(sed -n 's#^include \(.*\)/Makefile$#\1#p' "$kdir/Makefile" | head -1)
if [[ -n $common && $common == "$CACHE"/* &&
      ! -e $common/scripts/checker-valid.sh && -e $src/scripts/checker-valid.sh ]] &&
   grep -q checker-valid.sh "$common/Makefile"; then
	cp "$src/scripts/checker-valid.sh" "$common/scripts/"
fi
accepted() {	# SPARSE: does KVER's Kbuild take it?
	[[ ! -e $valid ]] && return 0
	[[ $("$K" run "$kver" sh "$valid" "$1" 2>/dev/null) == 1 ]]
}

if accepted sparse; then
	echo sparse
	exit 0
fi
orig=$(fetch_orig sparse "${SPARSE_VERSION:-}")
up=$(cut -d' ' -f1 "$orig.origin")
dir=$CACHE/sparse/$up
bin=$dir/sparse-bin
if [[ ! -x $bin ]] || ! accepted "$bin"; then
	note "building sparse $up from $(basename "$orig") in the build root of $kver"
	rm -rf "$dir"
	mkdir -p "$dir/src"
	tar -C "$dir/src" --strip-components=1 -xf "$orig" || die "cannot unpack $orig"
	# only the checker, no optional library (llvm, gtk, xml), with the
	# root's compiler (a root has gcc-N, not always gcc)
	# shellcheck disable=SC2016 # expanded in the root
	"$K" run "$kver" sh -c 'cc=$(command -v gcc || ls /usr/bin/gcc-[0-9]* | sort -V | tail -1)
		exec make -C "$1" -j"$2" CC="$cc" HAVE_LLVM=no HAVE_GTK=no HAVE_LIBXML=no HAVE_SQLITE=no sparse' \
		sh "$dir/src" "$(nproc)" >"$dir/build.log" 2>&1 ||
		{ tail -20 "$dir/build.log" >&2; die "sparse $up did not build (log: $dir/build.log)"; }
	cp "$dir/src/sparse" "$bin"
	accepted "$bin" || die "sparse $up built, but $kver's checker-valid.sh refuses it too"
fi
echo "$bin"
