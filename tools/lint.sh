#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Style and static checks of our own code: checkpatch --strict (from the
# target kernel's source package) on our files and on the lines our patch
# adds, sparse on our objects and, against the pristine sources, on the
# upstream files our patch changes.  Needs a prepared build (make KVER=..).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KVER=${1:-$(tools/kernel.sh default-kver)}
SRC=$(tools/kernel.sh source "$KVER")
KDIR=$(tools/kernel.sh kdir "$KVER")
BONDDIR=$ROOT/build/$KVER/drivers/net/bonding
rc=0

CP=("$SRC/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types
    --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG)
# tools/ and selftests/ are userspace: checkpatch's kernel-only rules
# (e.g. no typedefs) do not apply to the unit test glue.
if ! "${CP[@]}" -f src/*.[ch] src/oot/*.[ch] include/*.h include/net/*.h \
	include/compat/*.h; then
	echo "lint: checkpatch found problems in our files" >&2
	rc=1
fi
# DEVICE_ATTR_FUNCTIONS: bond_sysfs.c's attributes share one store function.
# Absolute paths: given a relative one inside a git tree, checkpatch
# misreads the patch.
for p in "$ROOT"/patches/*/*.patch; do
	if ! "${CP[@]}" --ignore DEVICE_ATTR_FUNCTIONS "$p"; then
		echo "lint: checkpatch found problems in $p" >&2
		rc=1
	fi
done

[[ -e $BONDDIR/Kbuild ]] || tools/kernel.sh prepare "$KVER" "$ROOT/build/$KVER" >/dev/null
# Debian 13's sparse is too old for 7.x's Kbuild: then one built from
# Debian's newer sparse tarball (tools/sparse.sh)
if ! SPARSE=$(tools/sparse.sh "$KVER"); then
	echo "lint: no sparse that $KVER's Kbuild accepts" >&2
	exit 1
fi
sparse_of() {	# DIR OBJ...: sparse's findings, compiler noise dropped
	local dir=$1
	shift
	"$ROOT/tools/kernel.sh" run "$KVER" \
		make -s -C "$KDIR" M="$dir" SLB_ROOT="$ROOT" C=2 CHECK="$SPARSE" "$@" 2>&1 |
		grep -v "^  \(CHECK\|CC\)" || true
}
mapfile -t OURS < <(cd src && ls *.c oot/*.c | sed 's#^oot/##; s#\.c$#.o#')
out=$(sparse_of "$BONDDIR" "${OURS[@]}")
if [[ -n $out ]]; then
	echo "$out"
	echo "lint: sparse or the compiler reported the above" >&2
	rc=1
fi

# The files our patch touches: upstream has sparse findings of its own
# there, so compare with the pristine files (path, line and column cut,
# as the patch shifts lines) and fail on new findings only.
PATCHED=(bond_main.o bond_netlink.o bond_options.o bond_procfs.o bond_sysfs.o bond_debugfs.o)
PRISTINE=$ROOT/build/$KVER/lint-pristine
rm -rf "$PRISTINE"
mkdir -p "$PRISTINE"
cp "$SRC"/drivers/net/bonding/*.[ch] "$SRC/drivers/net/bonding/Makefile" "$PRISTINE/"
norm() { sed -E 's|^([^ :]*/)?([^/ :]+):[0-9]+:[0-9]+:|\2:|' | sort; }
new=$(comm -23 <(sparse_of "$BONDDIR" "${PATCHED[@]}" | norm) \
	<(sparse_of "$PRISTINE" "${PATCHED[@]}" | norm))
rm -rf "$PRISTINE"
if [[ -n $new ]]; then
	echo "$new"
	echo "lint: sparse finds the above in the patched files, not in the pristine ones" >&2
	rc=1
fi
exit $rc
