#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make series: the upstream patch series, made from the project's own
# files (one source of truth, no second copy to keep in sync).
#
#   series.sh [--check] [OUTDIR]       default OUTDIR: build/series/kernel
#
# The base is the newest 7.x linux-source of Debian (SLB_SERIES_KVER=<kernel
# release> picks another), cut down to the files the series changes, in a
# git tree at build/series/linux.  Each patches/upstream/NN-*.msg makes one
# commit of that tree, from the header fields of the .msg:
#   Subject:  the commit's subject; the rest of the file is its body
#   Hooks:    patches/common/ (or patches/<series>/) hook patches, the very
#             ones the out-of-tree module applies
#   Diffs:    patches/upstream/*.diff, what only the series changes (uapi,
#             netlink spec, Documentation)
#   Files:    repo-path=tree-path, our files as they are
#   Objects:  what the patch adds to drivers/net/bonding/Makefile
#   Tests:    what it adds to the bonding selftests' TEST_PROGS
# git format-patch then writes the series with a cover letter from
# patches/upstream/cover-letter.txt.  patches/oot/ and src/oot/ are what
# the series leaves out.
#
# --check also proves the series: every commit builds drivers/net/bonding
# against that kernel's headers with W=1 and no warning the base does not
# have; checkpatch --strict passes on every patch; sparse (tools/sparse.sh)
# finds nothing in the series the base does not have.  One TAP line per
# check; build/series/bonding.ko is the series' module.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
K=$ROOT/tools/kernel.sh
UP=$ROOT/patches/upstream
T=$ROOT/build/series/linux
# the submitter puts their own name here, as in any series
WHO="Your Name <your.name@example.org>"
# fixed dates: the same inputs give the same commits and patches
export GIT_AUTHOR_DATE="2026-12-01T00:00:00Z" GIT_COMMITTER_DATE="2026-12-01T00:00:00Z"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

die() { echo "series.sh: error: $*" >&2; exit 1; }
note() { echo "series.sh: $*" >&2; }

check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
OUT=${1:-$ROOT/build/series/kernel}

KVER=${SLB_SERIES_KVER:-$("$K" latest 7.x)} || die "no 7.x kernel in the package index"
SERIES=$("$K" series "$KVER")
VER=$("$K" version "$KVER")
SRC=$("$K" series-source "$KVER") || die "cannot get the sources of $KVER"

field() { awk -v f="$2:" '/^$/ { exit } $1 == f { sub(/^[^:]*: */, ""); print }' "$1"; }
body() { awk 'h { print } /^$/ && !h { h = 1 }' "$1"; }
hook() {	# a hook patch by name: the series' own copy wins, as in kernel.sh
	if [[ -e $ROOT/patches/$SERIES/$1 ]]; then echo "$ROOT/patches/$SERIES/$1"
	elif [[ -e $ROOT/patches/common/$1 ]]; then echo "$ROOT/patches/common/$1"
	else die "hook patch $1 is in neither patches/$SERIES/ nor patches/common/"; fi
}
apply() {	# PATCH: onto the tree, exactly (no fuzz), or die naming it
	patch -d "$T" -p1 -F0 -s --no-backup-if-mismatch <"$1" ||
		die "${1#"$ROOT"/} does not apply to linux-source-$SERIES $VER"
}

# drivers/net/bonding/Makefile: a patch's objects on a line of their own,
# after the bonding-objs lines before it, so that each patch adds a line
add_objects() {
	local mk=$T/drivers/net/bonding/Makefile line="bonding-objs +=" o
	for o in "$@"; do
		if ((${#line} + ${#o} + 3 > 78)); then
			printf '%s \\\n' "$line"
			line="	$o"
		else
			line="$line $o"
		fi
	done >"$mk.objs"
	echo "$line" >>"$mk.objs"
	# after the last line of the last bonding-objs statement that names
	# our objects, or after the upstream "bonding-objs :=" line
	awk -v objs="$mk.objs" '
		{ l[NR] = $0 }
		/^bonding-objs :=/ || /^bonding-objs \+= bond_slb/ { at = NR; cont = 1 }
		cont && NR >= at { at = NR; if ($0 !~ /\\$/) cont = 0 }
		END { for (i = 1; i <= NR; i++) { print l[i]
			if (i == at) while ((getline x < objs) > 0) print x } }' "$mk" >"$mk.new"
	mv "$mk.new" "$mk"
	rm -f "$mk.objs"
}

# the bonding selftests' TEST_PROGS: add a test, keep the list sorted
add_test() {
	local mk=$T/tools/testing/selftests/drivers/net/bonding/Makefile
	awk -v t="$1" '
		/^TEST_PROGS :=/ { print; on = 1; n = 0; next }
		on && /^# end of TEST_PROGS/ {
			list[n++] = "\t" t " \\"
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (list[j] < list[i]) { x = list[i]; list[i] = list[j]; list[j] = x }
			for (i = 0; i < n; i++) print list[i]
			on = 0; print; next }
		on { list[n++] = $0; next }
		{ print }' "$mk" >"$mk.new"
	mv "$mk.new" "$mk"
}

# --- the tree: pristine, then one commit per .msg ---------------------------
PATHS=(drivers/net/bonding include/net/bonding.h include/net/bond_3ad.h
       include/net/bond_alb.h include/net/bond_options.h
       include/uapi/linux/if_bonding.h include/uapi/linux/if_link.h
       Documentation/networking/bonding.rst
       Documentation/netlink/specs/rt-link.yaml
       tools/testing/selftests/drivers/net/bonding MAINTAINERS)
rm -rf "$T"
mkdir -p "$T"
(cd "$SRC" && cp -a --parents "${PATHS[@]}" "$T/")
git -C "$T" init -q
git -C "$T" add -A
git -C "$T" -c user.name=Debian -c user.email=debian-kernel@lists.debian.org \
	commit -q -m "Linux $VER (linux-source-$SERIES): the files the series changes"
base=$(git -C "$T" rev-parse HEAD)

n=0
for msg in "$UP"/[0-9]*.msg; do
	subject=$(field "$msg" Subject)
	[[ -n $subject ]] || die "${msg#"$ROOT"/} has no Subject:"
	for h in $(field "$msg" Hooks); do apply "$(hook "$h")"; done
	for d in $(field "$msg" Diffs); do apply "$UP/$d"; done
	for f in $(field "$msg" Files); do
		[[ $f == *=* && -e $ROOT/${f%%=*} ]] || die "${msg#"$ROOT"/}: bad Files: entry $f"
		mkdir -p "$(dirname "$T/${f#*=}")"
		cp "$ROOT/${f%%=*}" "$T/${f#*=}"
	done
	read -r -a objs <<<"$(field "$msg" Objects)"
	((${#objs[@]} == 0)) || add_objects "${objs[@]}"
	for t in $(field "$msg" Tests); do add_test "$t"; done
	git -C "$T" add -A
	{ echo "$subject"; echo; body "$msg"; echo; echo "Signed-off-by: $WHO"; } |
		git -C "$T" -c user.name="${WHO% <*}" -c user.email="${WHO#*<}" \
			commit -q -F - || die "${msg#"$ROOT"/} changes nothing"
	n=$((n + 1))
done
((n)) || die "no patches/upstream/*.msg"

rm -rf "$OUT"
mkdir -p "$OUT"
git -C "$T" -c user.name="${WHO% <*}" -c user.email="${WHO#*<}" format-patch -q \
	--cover-letter --subject-prefix="PATCH net-next" -o "$OUT" "$base"
cover=$(ls "$OUT"/0000-cover-letter.patch)
csubj=$(field "$UP/cover-letter.txt" Subject)
body "$UP/cover-letter.txt" | sed "s/%BASE_VERSION%/$VER/" >"$OUT/.blurb"
awk -v s="$csubj" -v b="$OUT/.blurb" '
	/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, s) }
	/^\*\*\* BLURB HERE \*\*\*$/ { while ((getline l < b) > 0) print l; next }
	{ print }' "$cover" >"$cover.new"
mv "$cover.new" "$cover"
rm -f "$OUT/.blurb"
note "$n patches and a cover letter in $OUT (base: linux-source-$SERIES $VER)"
((check)) || exit 0

# --- the proof ------------------------------------------------------------------
KDIR=$("$K" kdir "$KVER")
B=$ROOT/build/series/build
pass=0 fail=0
tap() {	# ok|not-ok TEXT
	if [[ $1 == ok ]]; then pass=$((pass + 1)); echo "ok - series: $2"
	else fail=$((fail + 1)); echo "not ok - series: $2"; fi
}
echo "ok - series: $n patches apply to linux-source-$SERIES $VER"
pass=1

# Build commit $1 in a copy of its tree; the compiler's warnings, without
# line numbers (patches shift them), go to $2.
build_at() {
	local c=$1 d=$B/tree
	rm -rf "$d"
	mkdir -p "$d/uapi/linux"
	git -C "$T" archive "$c" drivers/net/bonding include | tar -x -C "$d"
	# <linux/if_bonding.h> of the tree, and nothing else of its uapi dir
	# before the kernel's own include/ (include/linux/if_link.h is not
	# the uapi one)
	cp "$d/include/uapi/linux/if_bonding.h" "$d/uapi/linux/"
	cat >"$d/drivers/net/bonding/Kbuild" <<-'EOF'
		CONFIG_BONDING := m
		include $(src)/Makefile
		NOSTDINC_FLAGS += -I$(src)/../../../include -I$(src)/../../../uapi
	EOF
	"$K" run "$KVER" make -s -C "$KDIR" M="$d/drivers/net/bonding" W=1 \
		${3:+C=2 CHECK="$3"} modules >"$2.log" 2>&1 || return 1
	grep -E 'warning:|error:' "$2.log" |
		sed -E 's|^([^ :]*/)?([^/ :]+):[0-9]+:[0-9]+:|\2:|' | sort -u >"$2" || true
}

mkdir -p "$B"
build_at "$base" "$B/base.warnings" ||
	{ cat "$B/base.warnings.log" >&2; die "the pristine tree does not build"; }
i=0
prev=""
for c in $(git -C "$T" rev-list --reverse "$base..HEAD"); do
	i=$((i + 1))
	s=$(git -C "$T" log -1 --format=%s "$c")
	# a commit that changes nothing the compiler reads builds as its parent
	if [[ -n $prev ]] && git -C "$T" diff --quiet "$c~1" "$c" -- drivers/net/bonding include; then
		tap "$prev" "$i/$n builds with W=1 (no change to the C sources): $s"
		continue
	fi
	if ! build_at "$c" "$B/$i.warnings"; then
		tail -20 "$B/$i.warnings.log"
		tap not-ok "$i/$n builds with W=1: $s"
		prev=not-ok
		continue
	fi
	# the last one built is the series' module: the kselftest's (VM)
	cp "$B/tree/drivers/net/bonding/bonding.ko" "$ROOT/build/series/bonding.ko"
	new=$(comm -13 "$B/base.warnings" "$B/$i.warnings")
	if [[ -n $new ]]; then
		echo "$new" | sed 's/^/# /'
		tap not-ok "$i/$n builds with W=1, no new warning: $s"
		prev=not-ok
	else
		tap ok "$i/$n builds with W=1, no new warning: $s"
		prev=ok
	fi
done

# Two rules that bonding's own files break by design:
# FILE_PATH_CHANGES: every new file falls under the BONDING DRIVER entry's
# F: patterns (drivers/net/bonding/, include/net/bond*, the selftests dir);
# DEVICE_ATTR_FUNCTIONS: bond_sysfs.c's attributes all store through
# bonding_sysfs_store_option() and the option table.
CP=("$SRC/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types
    --ignore FILE_PATH_CHANGES,DEVICE_ATTR_FUNCTIONS)
for p in "$OUT"/[0-9]*.patch; do
	[[ $p == */0000-cover-letter.patch ]] && continue
	if out=$("${CP[@]}" "$p" 2>&1) && [[ -z $out ]]; then
		tap ok "checkpatch --strict: ${p##*/}"
	else
		echo "$out" | sed 's/^/# /'
		tap not-ok "checkpatch --strict: ${p##*/}"
	fi
done

# sparse (C=2: every file) at the base and at the end: what it says about
# the base's files is the base's
if ! sp=$("$ROOT/tools/sparse.sh" "$KVER"); then
	tap not-ok "sparse: no sparse that $KVER's Kbuild accepts"
elif ! build_at "$base" "$B/sparse.base" "$sp" || ! build_at HEAD "$B/sparse" "$sp"; then
	tail -20 "$B/sparse.log" "$B/sparse.base.log"
	tap not-ok "sparse: the base and the series build with C=2"
elif grep -q "sparse is not available or not up to date" "$B/sparse.log"; then
	tap not-ok "sparse: $KVER's Kbuild refuses $sp"
else
	new=$(comm -13 "$B/sparse.base" "$B/sparse")
	[[ -z $new ]] || echo "$new" | sed 's/^/# /'
	tap "$([[ -z $new ]] && echo ok || echo not-ok)" \
		"sparse: nothing the base does not have ($(grep -c . "$B/sparse.base" || true) findings in the base)"
fi
echo "# series: $pass passed, $fail failed"
((fail == 0))
