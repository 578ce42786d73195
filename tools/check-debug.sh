#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-debug: build a debug kernel (KASAN, lockdep + PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS_TIMERS/WORK, kmemleak; see
# tools/debug-kernel/config) from the Debian linux-source-6.12 package,
# build our bonding.ko against it, and run the whole VM selftest suite on
# it.  Fails on any kernel report in the console (kernel_log_clean) and on a
# kmemleak suspect that involves bonding after a scan at the end
# (kmemleak_bonding); other kmemleak suspects are listed.  Ends with
# "N passed, N failed, N skipped".
#
# Too slow for CI (a kernel build of about an hour on 2 cores when the
# config or the Debian version changes, then the suite at KASAN+TCG speed):
# run it before merging changes to the datapath, locking or teardown, and
# at least weekly (README.md, "Debug kernel").
#
# --kcsan (make check-kcsan): the same on the KCSAN variant of the kernel
# (tools/debug-kernel/config-kcsan: KCSAN instead of KASAN and kmemleak).
# Its data-race reports are judged by kcsan_slb (tools/vm/run.sh --kcsan):
# one with a frame of ours (bond_slb_*, slb_*) fails, upstream-only ones are
# listed.  build/check-kcsan/reports.txt has every distinct race with
# file:line (tools/kcsan-reports.sh).  A flag, not a script of its own: the
# steps are the same, only the kernel and the judging of its log differ.
#
# Environment:
#   SLB_STRESS_SECS   length of stress tests, passed to the guest as
#                     slb.stress_secs= (default 600)
#   SLB_DEBUG_TIMEOUT per-test timeout in seconds (default 2400)
#   SLB_DEBUG_MEM     guest memory in MiB (default 3072: KASAN's shadow;
#                     2048 with --kcsan, which has none)
#   SLB_DEBUG_SLOW    factor for the tests' time and loss bounds (default 4;
#                     slb.slow= on the kernel command line)
#   SLB_DEBUG_TCG_THREAD  QEMU TCG threading (default multi: KASAN needs
#                     both host cores; single, make check's default, avoids
#                     the rare guest death on "Oops: int3" while the kernel
#                     patches its text, at about half the speed here; KCSAN
#                     needs multi: a watchpoint waits for the other vCPU
#                     to touch the same word, and with single that vCPU
#                     does not run during the wait)
#   TESTS             a,b.sh: only these VM tests
#   SLB_DEBUG_APPEND  more kernel parameters, e.g. kcsan.skip_watch=1000 (a
#                     watchpoint every 1000 accesses instead of 4000: more
#                     races found, a slower guest)
#   SLB_DEBUG_SERIES  kernel series (default 6.12)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
VARIANT=debug
case ${1:-} in
"") ;;
--kcsan) VARIANT=kcsan ;;
*) echo "usage: check-debug.sh [--kcsan]" >&2; exit 2 ;;
esac
SERIES=${SLB_DEBUG_SERIES:-6.12}
STRESS=${SLB_STRESS_SECS:-600}
TIMEOUT=${SLB_DEBUG_TIMEOUT:-2400}
if [[ $VARIANT == kcsan ]]; then
	MEM=${SLB_DEBUG_MEM:-2048}
	LOGDIR=$ROOT/build/check-kcsan
	# KCSAN's reports instead of kmemleak's scan (this kernel has none)
	judge=--kcsan
else
	MEM=${SLB_DEBUG_MEM:-3072}
	LOGDIR=$ROOT/build/check-debug
	judge=--kmemleak
fi
# the suite runs about 3 times slower than on a Debian kernel: the tests'
# safety bounds on time and loss scale by this (selftests/lib.sh, SLB_SLOW)
SLOW=${SLB_DEBUG_SLOW:-4}
mkdir -p "$LOGDIR"
# shellcheck source=tools/tap.sh
source "$ROOT/tools/tap.sh"

echo "== dependencies"
if ! tools/deps.sh debug; then
	result fail deps
	finish
fi

echo "== debug kernel ($SERIES, $VARIANT)"
t0=$SECONDS
if ! tools/debug-kernel.sh build "$SERIES" "$VARIANT" >"$LOGDIR/kernel.env" 2>"$LOGDIR/kernel.log"; then
	tail -30 "$LOGDIR/kernel.log"
	result fail "build debug kernel $SERIES"
	finish
fi
KVER="" KSRC="" KDIR="" IMAGE="" BUILD_SECONDS=""
while IFS='=' read -r k v; do
	case $k in
	KVER|KSRC|KDIR|IMAGE|BUILD_SECONDS) printf -v "$k" '%s' "$v" ;;
	esac
done <"$LOGDIR/kernel.env"
cat "$LOGDIR/kernel.log"
echo "# debug kernel $KVER: built in ${BUILD_SECONDS} s (this run: $((SECONDS - t0)) s, cached in ${KDIR%/obj})"
result ok "build debug kernel $KVER"

echo "== bonding.ko against $KVER"
# the bonding sources from the same tree the kernel was built from
if make -s module KVER="$KVER" KSRC="$KSRC" KDIR="$KDIR" >"$LOGDIR/module.log" 2>&1; then
	result ok "build bonding.ko for $KVER"
	if [[ $VARIANT == kcsan ]]; then
		# our sources as built, for reports.txt's source lines: src/ may
		# change during the hour the suite runs
		rm -rf "$LOGDIR/sources"
		mkdir -p "$LOGDIR/sources"
		cp -a src include "$LOGDIR/sources/"
		git rev-parse HEAD >"$LOGDIR/sources/HEAD" 2>/dev/null || true
		git status --short -- src include selftests >"$LOGDIR/sources/status" 2>/dev/null || true
	fi
else
	tail -30 "$LOGDIR/module.log"
	result fail "build bonding.ko for $KVER"
	finish
fi
if ! make -s slbgen >"$LOGDIR/slbgen.log" 2>&1; then
	cat "$LOGDIR/slbgen.log"
	result fail "build slbgen"
	finish
fi
extra=(--extra-bin "$ROOT/build/tools/slbgen")
[[ -x build/iproute2/ip-slb ]] || tools/iproute2.sh >"$LOGDIR/iproute2.log" 2>&1 ||
	echo "# iproute2 with balance-slb did not build: 95-iproute2-slb will skip"
[[ ! -x build/iproute2/ip-slb ]] || extra+=(--extra-bin "$ROOT/build/iproute2/ip-slb")
tree=$(tools/vm/guest-debs.sh ifupdown ifenslave) && extra+=(--extra-tree "$tree")

echo "== VM selftests on $KVER (timeout ${TIMEOUT}s per test, ${MEM} MiB, stress ${STRESS}s)"
t0=$SECONDS
# panic_on_warn=0: a WARN or KASAN report does not stop the suite, so one
# run shows every report; kernel_log_clean fails on them all the same
tools/vm/run.sh --kver "$KVER" --image-root "$IMAGE" \
	--module "build/$KVER/bonding.ko" --tests "$ROOT/selftests" \
	--out "$LOGDIR/vm" "${extra[@]}" \
	--timeout "$TIMEOUT" --mem "$MEM" "$judge" \
	--tcg-thread "${SLB_DEBUG_TCG_THREAD:-multi}" \
	--append "panic_on_warn=0 slb.stress_secs=$STRESS slb.slow=$SLOW${SLB_DEBUG_APPEND:+ $SLB_DEBUG_APPEND}" \
	${TESTS:+--only "$TESTS"} \
	>"$LOGDIR/vm.ktap" 2>"$LOGDIR/vm.err"
suite=$((SECONDS - t0))
# failed tests, the kernel's reports and kmemleak's or KCSAN's findings;
# the tests' own output is in the file
awk '/^not ok / || /^# [0-9]+ passed/ { print; next }
     /^# kcsan-stats: [a-z_]+: [0-9]+$/ { print; next }
     /^# kernel log has problems:/ || /^# kmemleak: / || /^# kcsan: / { show = 1 }
     /^ok / || /^not ok / { show = 0 }
     show' "$LOGDIR/vm.ktap"
if ! grep -q '^1\.\.' "$LOGDIR/vm.ktap"; then
	tail -20 "$LOGDIR/vm.err"
	result fail "vm $KVER (no results)"
fi
count_ktap "$KVER: " "$LOGDIR/vm.ktap"
vm_digest "$KVER" "$LOGDIR/vm.ktap"
echo "# VM suite on $KVER: $suite s (full report: $LOGDIR/vm.ktap, console: $LOGDIR/vm/console.log)"
if [[ $VARIANT == kcsan ]]; then
	# every distinct race with file:line, from the unstripped module
	if tools/kcsan-reports.sh "$LOGDIR/vm/console.log" "$KDIR/vmlinux" \
		"build/$KVER/drivers/net/bonding/bonding.ko" "$KSRC" "$LOGDIR/sources" \
		>"$LOGDIR/reports.txt" 2>"$LOGDIR/reports.err"; then
		sed -n 2p "$LOGDIR/reports.txt"
		echo "# KCSAN's races, file:line and source line: $LOGDIR/reports.txt"
	else
		cat "$LOGDIR/reports.err"
		result fail "kcsan reports.txt"
	fi
fi
finish
