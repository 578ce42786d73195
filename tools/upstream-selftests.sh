#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make upstream-selftests [KVER=...]: the kernel's own bonding selftests
# (tools/testing/selftests/drivers/net/bonding of the same Debian
# linux-source as the kernel, unpacked by tools/kernel.sh, never kept in
# this repository) in the test VM, once with Debian's bonding.ko from the
# kernel image and once with ours.
#
#   upstream-selftests.sh KVER [--module OURS.ko] [--out DIR] [--timeout S]
#                         [--only a.sh,b.sh] [--skip a.sh,b.sh [--why TEXT]]
#                         [--extra FILE]... [--debian-if-needed]
#                         [--report-only]
#
# --extra adds a test of ours written for that directory (the balance-slb
# series' selftests/kselftest/bond_slb.sh) to the guest's
# drivers/net/bonding, after the Makefile's TEST_PROGS (or where --only
# names it).  It runs like the others, but with build/iproute2/ip (make
# iproute2; in the guest as ip-slb) first in PATH as "ip", in both runs, and
# is judged the other way round: it must pass with ours and must not pass
# with Debian's module, which has no balance-slb (bond_slb.sh skips there).
# A selftests tree whose net/lib.sh lacks what these tests use (6.1: no
# net/lib.sh, no defer.sh) reports them as skipped, not run.
#
# --skip leaves tests out of both runs; each is reported as a skip with
# TEXT as the reason (tools/check.sh leaves out what is too slow for CI).
# --debian-if-needed boots ours first and Debian's module only for what does
# not pass with ours (and for --extra tests): a test that passes with ours
# is "ok" whatever Debian's module does, so that boot is not needed to judge
# it (tools/check.sh: half the time on 7.x).
# --report-only boots nothing and reports on the logs of the last run.
#
# Prints a table (test, Debian's module, ours) and then one TAP line per
# test for tools/check.sh:
#   ok - upstream KVER: T             passes with ours (or fails with both)
#   ok - upstream KVER: T # SKIP ...  skips with Debian's module, or the
#                                     Makefile lists T but the source lacks it
#   not ok - upstream KVER: T         passes with Debian's module, not ours,
#                                     neither in the whole run nor run again
#                                     alone (as Debian's ran: these tests
#                                     sleep and ping on fixed timings)
# plus vm_completed and kernel_log_clean of our runs.  Logs: build/upstream/KVER/
# ({debian,ours,again}.ktap, {debian,ours,again}/console.log; not under build/KVER/,
# which make module re-creates when the patches change).  A test that fails with
# Debian's module too is a known upstream/environment failure, reported in
# the table and as a comment, not counted against us.
#
# Each upstream test runs as kselftest runs it: from its own directory,
# with its exit code (0 pass, 4 skip, other fail) and the per-test timeout
# of its "settings" file.  KSFT_MACHINE_SLOW=yes (QEMU TCG).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "upstream-selftests: $*" >&2; exit 2; }

kver=${1:-}
[[ -n $kver && $kver != -* ]] || die "usage: upstream-selftests.sh KVER [--module OURS.ko] [--out DIR] [--timeout S] [--only a.sh,b.sh] [--skip a.sh,b.sh [--why TEXT]] [--extra FILE]... [--debian-if-needed] [--report-only]"
shift
ours=$ROOT/build/$kver/bonding.ko out=$ROOT/build/upstream/$kver timeout="" only="" skip="" why="left out" report_only=0
extras=() ip_slb=$ROOT/build/iproute2/ip-slb if_needed=0
while (($#)); do
	case $1 in
	--module) ours=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--skip) skip=,$2,; shift 2 ;;
	--why) why=$2; shift 2 ;;
	--extra) extras+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
	--report-only) report_only=1; shift ;;
	--debian-if-needed) if_needed=1; shift ;;
	*) die "unknown argument $1" ;;
	esac
done
[[ -f $ours ]] || die "no module $ours (make module KVER=$kver)"
declare -A extra=()	# test name -> our file
for f in "${extras[@]}"; do
	[[ -f $f ]] || die "no test $f"
	extra[${f##*/}]=$f
done

st=$("$ROOT/tools/kernel.sh" selftests "$kver") || die "cannot get the upstream selftests of $kver"
img=$("$ROOT/tools/kernel.sh" image "$kver") || die "cannot get the image of $kver"
bdir=$st/drivers/net/bonding

# TEST_PROGS of the upstream Makefile, in its order
mapfile -t progs < <(awk '/^TEST_PROGS[ \t]*[:+]?=/ { on = 1 }
	on { for (i = 1; i <= NF; i++) if ($i ~ /\.sh$/) print $i
	     if ($0 !~ /\\$/) on = 0 }' "$bdir/Makefile")
((${#progs[@]})) || die "no TEST_PROGS in $bdir/Makefile"
for f in "${extras[@]}"; do progs+=("${f##*/}"); done
if [[ -n $only ]]; then IFS=, read -r -a progs <<<"$only"; fi
# ours use net/lib.sh's setup_ns, slowwait and lib/sh/defer.sh's defer
extra_why=""
[[ -f $st/net/lib/sh/defer.sh ]] ||
	extra_why="the $kver selftests have no net/lib/sh/defer.sh (the test targets 7.x's net/lib.sh)"
run=() missing=() skipped=() extra_skipped=()
for t in "${progs[@]}"; do
	if [[ -n ${extra[$t]:-} && -n $extra_why ]]; then extra_skipped+=("$t")
	elif [[ -n ${extra[$t]:-} ]]; then
		if [[ $skip == *,$t,* ]]; then skipped+=("$t"); else run+=("$t"); fi
	elif [[ ! -f $bdir/$t ]]; then missing+=("$t")
	elif [[ $skip == *,$t,* ]]; then skipped+=("$t")
	else run+=("$t"); fi
done
((${#run[@]} + ${#extra_skipped[@]})) || die "none of ${progs[*]} is in $bdir"
if ((${#run[@]} == 0)); then	# only our tests, which this tree cannot run: no boot
	for t in "${extra_skipped[@]}"; do
		echo "ok - upstream $kver: $t # SKIP $extra_why"
	done
	exit 0
fi
if [[ -z $timeout ]]; then
	timeout=$(sed -n 's/^timeout=//p' "$bdir/settings" 2>/dev/null)
	[[ $timeout =~ ^[0-9]+$ ]] || timeout=45	# kselftest's default
fi

if ((report_only == 0)); then
# --- the guest's test tree ---------------------------------------------------
# tests/lib.sh (none of ours), tests/vm/<T> = wrapper running
# tests/vm/upstream/drivers/net/bonding/<T>; the upstream layout is kept so
# its relative "source ../../../net/forwarding/lib.sh" works.
rm -rf "$out/tests"
mkdir -p "$out/tests/vm/upstream/drivers/net" "$out/tests/vm/upstream/net"
echo "# upstream bonding selftests: no helpers of ours" >"$out/tests/lib.sh"
cp -a "$bdir" "$out/tests/vm/upstream/drivers/net/"
cp -a "$st/net/forwarding" "$out/tests/vm/upstream/net/"
[[ ! -f $st/net/lib.sh ]] || cp -a "$st/net/lib.sh" "$out/tests/vm/upstream/net/"
# net/lib.sh sources lib/sh/defer.sh (tests_run, defer)
[[ ! -d $st/net/lib ]] || cp -a "$st/net/lib" "$out/tests/vm/upstream/net/"
for t in "${run[@]}"; do
	path_ip=""
	if [[ -n ${extra[$t]:-} ]]; then
		install -m 0755 "${extra[$t]}" "$out/tests/vm/upstream/drivers/net/bonding/$t"
		# ours as "ip", first in PATH (ip picks its mode by its name)
		# shellcheck disable=SC2016 # expanded in the guest
		path_ip='ipdir=/tmp/slb-ip.$$
if ips=$(command -v ip-slb); then
	mkdir -p "$ipdir" && ln -sf "$ips" "$ipdir/ip" && export PATH="$ipdir:$PATH"
fi
echo "# ip: $(command -v ip), $(ip -V)"'
	fi
	cat >"$out/tests/vm/$t" <<EOF
#!/bin/bash
# upstream $t, run from its directory as kselftest's runner does
cd "\$(dirname "\$0")/upstream/drivers/net/bonding" || exit 1
export KSFT_MACHINE_SLOW=yes
$path_ip
log=/tmp/upstream-\$\$.log
if [ -x ./$t ]; then ./$t; else bash ./$t; fi 2>&1 | tee "\$log"
rc=\${PIPESTATUS[0]}
# the harness shows the first line of SLB_SKIP_FILE as the skip reason
[ "\$rc" -ne 4 ] || grep -m1 -i skip "\$log" >"\${SLB_SKIP_FILE:-/dev/null}"
exit "\$rc"
EOF
done

# --- the two runs ----------------------------------------------------------------
mod=$(find "$img/lib/modules/$kver/kernel/drivers/net/bonding" -name 'bonding.ko*' | head -1)
[[ -n $mod ]] || die "the $kver image has no bonding.ko"
mkdir -p "$out/debian"
case $mod in
*.xz) xz -dc "$mod" >"$out/debian/bonding.ko" ;;
*.zst) zstd -qdc "$mod" >"$out/debian/bonding.ko" ;;
*.gz) gzip -dc "$mod" >"$out/debian/bonding.ko" ;;
*) cp "$mod" "$out/debian/bonding.ko" ;;
esac

only_list=$(IFS=,; echo "${run[*]}")
# our ip in the guest as ip-slb, for our own tests (the wrapper's PATH)
bins=()
if [[ ${#extras[@]} -gt 0 && -x $ip_slb ]]; then bins=(--extra-bin "$ip_slb")
elif ((${#extras[@]})); then echo "# no $ip_slb (make iproute2): our tests get Debian's ip" >&2; fi
cols=(debian ours)
((if_needed)) && cols=(ours debian)
rm -f "$out/debian.ktap" "$out/ours.ktap"
for col in "${cols[@]}"; do
	list=$only_list
	if [[ $col == debian ]]; then
		ko=$out/debian/bonding.ko
		if ((if_needed)); then
			# what passed with ours is judged already
			list=$(for t in "${run[@]}"; do
				[[ -z ${extra[$t]:-} ]] &&
					grep -q "^ok [0-9]* $t\$" "$out/ours.ktap" && continue
				echo "$t"
			done | paste -sd,)
			if [[ -z $list ]]; then
				echo "# debian: not booted, every test passed with ours"
				printf 'TAP version 13\n1..0\n' >"$out/debian.ktap"
				continue
			fi
		fi
	else
		ko=$ours
	fi
	t0=$SECONDS
	"$ROOT/tools/vm/run.sh" --kver "$kver" --image-root "$img" --module "$ko" \
		--tests "$out/tests" --out "$out/$col" --only "$list" "${bins[@]}" \
		--timeout "$timeout" >"$out/$col.ktap" 2>"$out/$col.err"
	echo "# $col: $(tail -1 "$out/$col.ktap") ($((SECONDS - t0)) s, log $out/$col.ktap)"
done

# What failed with ours but passed with Debian's runs once more with ours,
# alone as Debian's did: these tests sleep and ping on fixed timings, and
# a busy TCG host makes one miss now and then.  Judged on both runs.
rm -f "$out/again.ktap"
again=$(for t in "${run[@]}"; do
	[[ -z ${extra[$t]:-} ]] || continue
	grep -q "^not ok [0-9]* $t\( \|\$\)" "$out/ours.ktap" &&
		grep -q "^ok [0-9]* $t\$" "$out/debian.ktap" && echo "$t"
done | paste -sd,)
if [[ -n $again ]]; then
	t0=$SECONDS
	"$ROOT/tools/vm/run.sh" --kver "$kver" --image-root "$img" --module "$ours" \
		--tests "$out/tests" --out "$out/again" --only "$again" "${bins[@]}" \
		--timeout "$timeout" >"$out/again.ktap" 2>"$out/again.err"
	echo "# ours again ($again): $(tail -1 "$out/again.ktap") ($((SECONDS - t0)) s, log $out/again.ktap)"
fi
fi

declare -A res=()	# column/test -> pass|fail|skip
for col in debian ours again; do
	[[ -f $out/$col.ktap ]] || { [[ $col == again ]] && continue; die "no $out/$col.ktap"; }
	while IFS= read -r l; do
		if [[ $l =~ ^not\ ok\ [0-9]+\ ([^ ]+) ]]; then
			res[$col/${BASH_REMATCH[1]}]=fail
		elif [[ $l =~ ^ok\ [0-9]+\ ([^ ]+)\ \#\ SKIP ]]; then
			res[$col/${BASH_REMATCH[1]}]=skip
		elif [[ $l =~ ^ok\ [0-9]+\ ([^ ]+) ]]; then
			res[$col/${BASH_REMATCH[1]}]=pass
		fi
	done <"$out/$col.ktap"
done

# --- report ------------------------------------------------------------------------
printf '# %-36s %-8s %-8s\n' "upstream test ($kver)" debian ours
for t in "${progs[@]}" vm_completed kernel_log_clean; do
	printf '# %-36s %-8s %-8s\n' "$t" "${res[debian/$t]:-not run}" "${res[ours/$t]:-not run}"
done
rc=0
for t in "${missing[@]}"; do
	echo "ok - upstream $kver: $t # SKIP listed in the Makefile, not in this source"
done
for t in "${skipped[@]}"; do
	echo "ok - upstream $kver: $t # SKIP $why"
done
for t in "${extra_skipped[@]}"; do
	echo "ok - upstream $kver: $t # SKIP $extra_why"
done
for t in "${run[@]}"; do
	d=${res[debian/$t]:-fail} o=${res[ours/$t]:-fail}
	# --debian-if-needed: Debian's module did not run what passed with ours
	[[ $o == pass && -z ${res[debian/$t]:-} && -z ${extra[$t]:-} ]] && ((if_needed)) && d=pass
	if [[ -n ${extra[$t]:-} ]]; then
		# ours: must pass with ours, and cannot with Debian's
		case $d/$o in
		pass/*) echo "not ok - upstream $kver: $t (passes with Debian's bonding.ko, which has no balance-slb; ours: $o)"; rc=1 ;;
		*/pass) echo "ok - upstream $kver: $t (ours: pass, Debian's module: $d as expected)" ;;
		*) echo "not ok - upstream $kver: $t ($o with ours, see $out/ours.ktap)"; rc=1 ;;
		esac
		continue
	fi
	case $d/$o in
	pass/pass|fail/pass) echo "ok - upstream $kver: $t" ;;
	pass/*) if [[ ${res[again/$t]:-} == pass ]]; then
			echo "# upstream $kver: $t $o with ours in the whole run, passed run again alone (see $out/ours.ktap, $out/again.ktap)"
			echo "ok - upstream $kver: $t"
			continue
		fi
		echo "not ok - upstream $kver: $t (passes with Debian's bonding.ko, $o with ours)"; rc=1 ;;
	skip/*) echo "ok - upstream $kver: $t # SKIP with Debian's module too ($(grep -m1 -o "^ok [0-9]* $t # SKIP.*" "$out/debian.ktap" | sed 's/.*# SKIP //'))" ;;
	fail/*) echo "# upstream $kver: $t fails with Debian's module too (ours: $o)"
		echo "ok - upstream $kver: $t # SKIP fails with Debian's module too" ;;
	esac
done
# our run as such: the VM finished, the kernel did not complain
for t in vm_completed kernel_log_clean; do
	if [[ ${res[ours/$t]:-fail} == pass ]]; then
		echo "ok - upstream $kver: $t"
	else
		# the first complaint, so that the summary of a CI log says it
		first=$(grep -m1 -A1 '^# kernel log has problems:' "$out/ours.ktap" 2>/dev/null |
			sed -n '2s/^#  *//p' | cut -c1-160)
		echo "not ok - upstream $kver: $t (${first:+$first; }see $out/ours.ktap)"; rc=1
	fi
	if [[ -f $out/again.ktap && ${res[again/$t]:-fail} != pass ]]; then
		echo "not ok - upstream $kver: $t of the run again (see $out/again.ktap)"; rc=1
	fi
	[[ ${res[debian/$t]:-fail} == pass ]] || ! grep -q '^1\.\.[1-9]' "$out/debian.ktap" ||
		echo "# upstream $kver: $t fails with Debian's module (see $out/debian.ktap)"
done
exit $rc
