#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-reorder: where a talkspurt stream's frames get out of order
# when its bucket moves (issue of 45-slb-reorder's occasional reorders).
# One QEMU boot of one Debian kernel (KVER, default 6.1) runs
# tools/bench/vm/reorder.sh: REORDER_ROUNDS (5) rounds, each a run with
# the test bed's receive paths pinned to CPU 0 (as 45) and one without,
# REORDER_SECS (40) s of moves every 0.3-0.7 s each, every frame traced
# in the kernel at both slaves.  Writes OUT (default build/bench/reorder):
#   runs.txt    one line per run (see the guest script's header)
#   table.txt   per mode: moves, frames reordered at the server per run
#               (median, range), and what the traces show at the bond:
#               sends on the old slave after a switch, old-queue releases
#               after the first frame on the new slave, switches after a
#               pause shorter than slb_move_gap
# About 15 minutes on a 2-core host.  MODULE= tests another bonding.ko
# (e.g. an older build) instead of build/KVER/bonding.ko.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${KVER:-$("$ROOT/tools/kernel.sh" latest 6.1)}
OUT=${OUT:-$ROOT/build/bench/reorder}
mkdir -p "$OUT"
if [[ -z ${MODULE:-} ]]; then
	make -s -C "$ROOT" module KVER="$KVER" >"$OUT/build.log" 2>&1 ||
		{ tail -20 "$OUT/build.log"; exit 1; }
	MODULE=$ROOT/build/$KVER/bonding.ko
fi
make -s -C "$ROOT" slbgen >>"$OUT/build.log" 2>&1

t=$OUT/tests
rm -rf "$t"
mkdir -p "$t/vm"
cp "$ROOT/selftests/lib.sh" "$ROOT/selftests/slb.sh" "$t/"
cp "$ROOT/tools/bench/vm/reorder.sh" "$t/vm/"
rounds=${REORDER_ROUNDS:-5} secs=${REORDER_SECS:-40}
# the guest's environment: the harness runs each test with a clean one
sed -i "2a REORDER_ROUNDS=$rounds REORDER_SECS=$secs" "$t/vm/reorder.sh"
"$ROOT/tools/vm/run.sh" --kver "$KVER" \
	--image-root "$("$ROOT/tools/kernel.sh" image "$KVER")" \
	--extra-bin "$ROOT/build/tools/slbgen" --module "$MODULE" \
	--tests "$t" --out "$OUT/vm" --mem 2048 \
	--timeout $((rounds * 2 * (secs + 120) + 300)) >"$OUT/vm.log" 2>&1 || true
sed -n 's/^# BENCH reorder //p' "$OUT/vm/ktap.log" >"$OUT/runs.txt"
[[ -s $OUT/runs.txt ]] || { echo "bench-reorder: no results; see $OUT/vm.log"; tail -20 "$OUT/vm/ktap.log"; exit 1; }
grep -q '^ok .*kernel_log_clean' "$OUT/vm.log" ||
	echo "bench-reorder: the guest's kernel log has a report, see $OUT/vm/console.log" >&2
{
	echo "Frames out of order at bucket moves, kernel $KVER, $(date -u +%Y-%m-%d)," \
		"bonding.ko $(modinfo -F srcversion "$MODULE" 2>/dev/null | cut -c1-12)" \
		"(git $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'))"
	echo "QEMU TCG, 2 vCPUs on one host thread; $rounds rounds of $secs s per mode, in turns;"
	echo "stream: 1000 frames/s, 400 ms on / 80 ms off; eth0 netem 20 ms; slb_move_gap 50"
	echo
	printf '%-9s %5s %6s  %-24s %6s %6s %6s\n' mode runs moves \
		"reordered/run: med [min-max]" back late short
	for mode in pinned unpinned; do
		awk -v mode="$mode" '$1 == mode {
			n++; mv += $5; r[n] = $9; b += $11; l += $13; s += $15 }
		END {
			if (!n) exit
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (r[j] < r[i]) { x = r[i]; r[i] = r[j]; r[j] = x }
			med = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
			printf "%-9s %5d %6d  %-24s %6d %6d %6d\n", mode, n, mv,
				sprintf("%g [%d-%d]", med, r[1], r[n]), b, l, s
		}' "$OUT/runs.txt"
	done
	echo
	echo "back: the bond sent on the old slave again within 5 ms of a switch;"
	echo "late: the old slave released a frame queued before a switch after the"
	echo "first frame on the new one; short: a switch after a pause under 50 ms."
	echo "pinned: every receive path of the test bed on CPU 0 (RPS), as 45 does;"
	echo "unpinned: the same with each CPU's backlog free to overtake the other's."
} | tee "$OUT/table.txt"
