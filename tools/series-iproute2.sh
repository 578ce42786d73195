#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# series-iproute2.sh OUTDIR: the iproute2-next series, as it is mailed.
#
# patches/iproute2/*.patch are applied with git am onto a git repo of the
# pristine upstream tarball that tools/iproute2.sh builds from (one import
# commit, the same commit id for the same tarball), and git format-patch
# writes them with a cover letter (0000-cover-letter.patch, its
# "base-commit:" that import) into OUTDIR.  Checked on the way, one line
# each, "ok - iproute2 series: ..." or "not ok - ...":
#
#   - every patch applies with git am
#   - the tree builds after each patch (configure, make of lib and ip only,
#     only libmnl visible: what tools/iproute2.sh builds)
#   - the uapi numbers of the attributes are those of include/compat/bond_slb_compat.h
#   - checkpatch.pl --no-tree --strict passes on each written patch
#     (the newest 7.x kernel's, CHECKPATCH=<checkpatch.pl> for another)
#
# Exits non-zero when a check fails.  The last line gives the run time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# fetch_orig, fetch_source, configure, need_pkgs
# shellcheck source=tools/iproute2.sh
. "$ROOT/tools/iproute2.sh"

IDENT_NAME="Seed 9676062a maintainers"
IDENT_EMAIL="maintainers@users.noreply.h-seed-9676062a.example"
PREFIX="PATCH iproute2-next"

usage() { echo "usage: series-iproute2.sh OUTDIR" >&2; exit 2; }
(($# == 1)) || usage
OUTDIR=$1
START=$SECONDS

failed=0
ok() { echo "ok - iproute2 series: $*"; }
notok() { echo "not ok - iproute2 series: $*"; failed=$((failed + 1)); }
finish() {
	if ((failed)); then
		echo "series-iproute2.sh: $failed check(s) failed, see above; ${OUTDIR} not (fully) written" >&2
		echo "# iproute2 series: $failed failed, $((SECONDS - START))s"
		exit 1
	fi
	echo "# iproute2 series: all passed, $((SECONDS - START))s"
}

command -v git >/dev/null || die "git is needed"
need_pkgs
patches=()
for p in "$ROOT"/patches/iproute2/*.patch; do
	[[ -e $p ]] && patches+=("$p")
done
((${#patches[@]})) || die "no patches/iproute2/*.patch"

if [[ -n ${CHECKPATCH:-} ]]; then
	checkpatch=$CHECKPATCH
else
	ksrc=$("$ROOT/tools/kernel.sh" source "$("$ROOT/tools/kernel.sh" latest 7.x)") ||
		die "no kernel source for checkpatch.pl (CHECKPATCH=<path> names one)"
	checkpatch=$ksrc/scripts/checkpatch.pl
fi
[[ -x $checkpatch ]] || die "$checkpatch is not executable"

src=$(fetch_source)
read -r up ver suite sum file <"$(dirname "$src")/.origin"

work=$(mktemp -d "${TMPDIR:-/tmp}/series-iproute2.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/iproute2-$up
cp -a "$src" "$tree"

export GIT_AUTHOR_NAME=$IDENT_NAME GIT_AUTHOR_EMAIL=$IDENT_EMAIL
export GIT_COMMITTER_NAME=$IDENT_NAME GIT_COMMITTER_EMAIL=$IDENT_EMAIL
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
g() { git -C "$tree" -c init.defaultBranch=main -c core.autocrlf=false "$@"; }

# the import: dated like the tarball's version.h, so its id is stable
stamp=$(date -u -d "@$(stat -c %Y "$tree/include/version.h")" -R)
g init -q
g add -A
GIT_AUTHOR_DATE=$stamp GIT_COMMITTER_DATE=$stamp g commit -q -m "iproute2 $up" -m \
	"The tree of $file (sha256 $sum), as listed by Debian $suite's Sources for iproute2 $ver."
base=$(g rev-parse HEAD)

# configure once: no patch touches configure or the build files
if ! configure "$tree" "$work/configure.log"; then
	sed 's/^/# /' "$work/configure.log"
	notok "configure iproute2 $up"
	finish
fi

build_ok() {	# after HEAD's patch: incremental, or clean when a header changed
	if [[ -n $(g diff --name-only HEAD~1 HEAD -- '*.h') ]]; then
		make -C "$tree/lib" clean >/dev/null 2>&1
		make -C "$tree/ip" clean >/dev/null 2>&1
	fi
	make -C "$tree" -j"$(nproc)" SUBDIRS="lib ip" >"$work/build.log" 2>&1 &&
		"$tree/ip/ip" -V >/dev/null
}

applied=0
for p in "${patches[@]}"; do
	name=$(basename "$p")
	if ! g am -q --committer-date-is-author-date "$p" >"$work/am.log" 2>&1; then
		sed 's/^/# /' "$work/am.log"
		g am --abort >/dev/null 2>&1 || true
		notok "$name applies with git am onto iproute2 $up"
		break
	fi
	ok "$name applies with git am onto iproute2 $up"
	applied=$((applied + 1))
	if build_ok; then
		ok "builds with $name (lib, ip)"
	else
		{ grep -m15 -E 'error|Error' "$work/build.log" || tail -20 "$work/build.log"; } |
			sed 's/^/# /'
		notok "builds with $name (lib, ip)"
	fi
done
((applied == ${#patches[@]})) || finish

# the attribute numbers, from the patched uapi header, against the kernel's
names=$(sed -n 's/^#define \(IFLA_BOND_\(SLAVE_\)\{0,1\}SLB_[A-Z_]*\)[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1 \3/p' \
	"$ROOT/include/compat/bond_slb_compat.h")
{
	echo '#include <stdio.h>'
	echo '#include <linux/if_link.h>'
	echo 'int main(void)'
	echo '{'
	while read -r n _; do
		printf '\tprintf("%%s %%d\\n", "%s", (int)%s);\n' "$n" "$n"
	done <<<"$names"
	echo '	return 0;'
	echo '}'
} >"$work/attrs.c"
if [[ -n $names ]] &&
   gcc -I"$tree/include/uapi" -o "$work/attrs" "$work/attrs.c" 2>"$work/attrs.log" &&
   "$work/attrs" >"$work/attrs.txt" && [[ $(cat "$work/attrs.txt") == "$names" ]]; then
	ok "attribute numbers match include/compat/bond_slb_compat.h ($(wc -l <"$work/attrs.txt") attributes)"
else
	sed 's/^/# /' "$work/attrs.log"
	diff <(echo "$names") "$work/attrs.txt" 2>/dev/null | sed 's/^/# /' || true
	notok "attribute numbers match include/compat/bond_slb_compat.h"
	finish
fi

attr_lines() {	# a prefix: "NAME (N)" lines
	awk -v pre="$1" '$1 ~ "^" pre { printf "  %-36s %s\n", $1, $2 }' "$work/attrs.txt"
}

g format-patch -q --cover-letter --base="$base" --subject-prefix="$PREFIX" \
	-o "$work/out" "$base..HEAD"
cover=$work/out/0000-cover-letter.patch
{
	cat <<EOF
balance-slb is a new bonding mode (7, source load balancing) for hosts
that bridge many virtual machines onto a bond of links to ordinary,
unconfigured switches.  Every frame leaves through the slave its source
MAC (and VLAN) is placed on, so the switch learns each MAC on exactly one
port, and placements follow the measured load of the slaves.  When a MAC
moves, on rebalancing or on a slave failure, the bond announces it so the
switch relearns it at once.

Patch 1 teaches ip the mode name; patch 2 adds its options and per-slave
counters to "ip link" and ip-link(8), with these attributes in the uapi
copy of if_link.h, after IFLA_BOND_LACP_STRICT and
IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE:

$(attr_lines 'IFLA_BOND_SLB')

$(attr_lines 'IFLA_BOND_SLAVE_SLB')

The numbers are provisional: they are the ones the kernel series, sent to
netdev alongside this one, proposes; the uapi hunk is to be replaced by
the usual header sync once that series is merged.  A kernel without
balance-slb rejects mode 7 and ignores the attributes.

Base: upstream iproute2 $up, the tree of $file
  sha256 $sum
(the tarball of Debian's iproute2 $ver, from $suite), imported as one
commit: the base-commit below.
EOF
} >"$work/blurb"
grep -qx '\*\*\* BLURB HERE \*\*\*' "$cover" || die "no blurb placeholder in $cover"
awk -v blurb="$work/blurb" '
/^\*\*\* BLURB HERE \*\*\*$/ { while ((getline l < blurb) > 0) print l; next }
{ sub(/\*\*\* SUBJECT HERE \*\*\*/, "ip: bond: add the balance-slb mode"); print }
' "$cover" >"$cover.new"
mv "$cover.new" "$cover"

for p in "$work"/out/*.patch; do
	name=$(basename "$p")
	[[ $name == 0000-cover-letter.patch ]] && continue
	# from outside any git tree: there, checkpatch.pl takes a tracked
	# file for source code (as with -f), not for a patch
	if (cd "$work" && "$checkpatch" --no-tree --strict -q "$p") >"$work/cp.log" 2>&1; then
		ok "checkpatch --strict clean: $name"
	else
		sed 's/^/# /' "$work/cp.log"
		notok "checkpatch --strict clean: $name"
	fi
done
((failed == 0)) || finish

mkdir -p "$OUTDIR"
rm -f "$OUTDIR"/[0-9][0-9][0-9][0-9]-*.patch
cp "$work"/out/*.patch "$OUTDIR"/
ok "written to $OUTDIR ($(find "$work/out" -name '*.patch' | wc -l) files, base-commit ${base:0:12})"
finish
