#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-scale: balance-slb at its stated limits (64 slaves, a full
# 65536-entry MAC table, keys on 4094 VLANs), measured in the kernel in
# one QEMU boot of one Debian kernel: memory per bond, one pass of the
# work item, one rebalance run, the announcement pass after a failover,
# and reading /proc/net/bonding/bond0 and debugfs slb_buckets.  The guest
# side, tools/bench/vm/scale.sh, runs as well on a real host (see its
# header); this script builds, boots, and makes the tables.  Writes, under
# OUT (default build/bench/scale):
#   table.txt     memory and times (median, 90th percentile, max of the
#                 calls; TCG wall time and a rough native estimate)
#   figures.txt   every "BENCH scale" figure of the guest
#   calls.csv     phase,root,path,us,label: every call function_graph saw
#   traces.txt    raw ftrace excerpts: the allocations, the median and
#                 largest rebalance runs, a sampling pass, the failover's
#                 calls, the status file reads
#   layout.txt    the structures' sizes from bonding.ko's debug info
#                 (pahole, when installed)
# KVER (default the newest 7.x, as bench-peers) picks the kernel; the
# guest's SCALE_* settings (see the guest script) pass through.  About 12
# minutes on a busy 2-core host, a third of it refilling the MAC table
# before each of the three parts (4094 slbgen runs a pass).
# Not a test: TCG's absolute times are many times a real CPU's.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${KVER:-$("$ROOT/tools/kernel.sh" latest 7.x)}
OUT=${OUT:-$ROOT/build/bench/scale}
mkdir -p "$OUT"
t_start=$(date +%s)
make -s -C "$ROOT" module slbgen KVER="$KVER" >"$OUT/build.log" 2>&1 ||
	{ tail -20 "$OUT/build.log"; exit 1; }
ko=$ROOT/build/$KVER/bonding.ko

# the same loops as the guest's calibration, here: CPU seconds (this host
# is shared, its wall clock is not the loops' own time), best of three
calib() {
	local best="" t i
	for i in 1 2 3; do
		t=$( { TIMEFORMAT='%3U %3S'; time "$@" >/dev/null; } 2>&1 | awk '{ print $1 + $2 }')
		best=$(awk -v a="$t" -v b="${best:-$t}" 'BEGIN { print (a < b ? a : b) }')
	done
	echo "$best"
}
bashloop() { local i; for ((i = 0; i < 200000; i++)); do :; done; }
host_bash=$(calib bashloop)
host_awk=""
if command -v busybox >/dev/null; then
	host_awk=$(calib busybox awk 'BEGIN { for (i = 0; i < 300000; i++) a[i % 65536] += i }')
fi

t=$OUT/tests
rm -rf "$t"
mkdir -p "$t/vm"
# lib.sh only because the VM harness looks for it; the script needs none
cp "$ROOT/selftests/lib.sh" "$t/"
cp "$ROOT/tools/bench/vm/scale.sh" "$t/vm/"
for v in $(compgen -v SCALE_ || true); do printf '%s=%q\n' "$v" "${!v}"; done >"$t/bench.env"
"$ROOT/tools/vm/run.sh" --kver "$KVER" \
	--image-root "$("$ROOT/tools/kernel.sh" image "$KVER")" \
	--extra-bin "$ROOT/build/tools/slbgen" --extra-bin "$(command -v nice)" \
	--module "$ko" \
	--tests "$t" --out "$OUT/vm" --smp 1 --mem 2048 \
	--timeout "${BENCH_SCALE_TIMEOUT:-7200}" >"$OUT/vm.log" 2>&1 || true
log=$OUT/vm/ktap.log
grep -q 'TABLE-END' "$log" 2>/dev/null ||
	{ echo "bench-scale: no table; see $OUT/vm.log and $OUT/vm/"; tail -30 "$log" 2>/dev/null; exit 1; }
grep -q '^ok .*kernel_log_clean' "$OUT/vm.log" ||
	echo "bench-scale: the guest's kernel log has a report, see $OUT/vm/console.log" >&2

g() { sed -n 's/^# //p' "$log"; }
g | grep '^BENCH scale ' | sed 's/^BENCH scale //' >"$OUT/figures.txt"
g | awk '$1 == "CALL" { printf "%s,%s,%s,%s,%s\n", $2, $3, $4, $5, $6 }' |
	sed '1i phase,root,path,us,label' >"$OUT/calls.csv"
g | sed -n 's/^TRACE //p' >"$OUT/traces.txt"
fv() { awk -v k="$1" '$1 == k { print $2; exit }' "$OUT/figures.txt"; }
fnote() { awk -v k="$1" '$1 == k { $1 = $2 = ""; sub(/^ +/, ""); print; exit }' "$OUT/figures.txt"; }

if command -v pahole >/dev/null; then
	for s in slb_mac slb_pcpu bond_slb slb_slave_info; do
		pahole -C "$s" "$ko" 2>/dev/null | grep -E '^(struct|\})|/\* size:' || true
	done >"$OUT/layout.txt"
fi
lsize() { awk -v s="$1" '$1 == "struct" && $2 == s { f = 1 } f && /\/\* size: / { sub(/.*size: /, ""); sub(/,.*/, ""); print; exit }' "$OUT/layout.txt" 2>/dev/null; }

guest_bash=$(fv calib-bash) guest_awk=$(fv calib-awk)
f_bash=$(awk -v g="$guest_bash" -v h="$host_bash" 'BEGIN { if (h > 0) printf "%.0f", g / h }')
f_awk=$(awk -v g="${guest_awk:-0}" -v h="${host_awk:-0}" 'BEGIN { if (h > 0 && g > 0) printf "%.0f", g / h }')
# the estimate: the smaller factor, so that native estimates err high
factor=$f_bash
[ -z "$f_awk" ] || [ "$f_awk" -ge "$factor" ] || factor=$f_awk

kib() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.2f MiB", b / 1048576; else printf "%.1f KiB", b / 1024 }'; }
{
	echo "balance-slb at scale, kernel $KVER, $(date -u +%Y-%m-%d)," \
		"bonding.ko $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
	echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');" \
		"guest: QEMU TCG, 1 vCPU (one host thread), 2 GiB"
	echo "bond0: balance-slb, $(grep -c . <<<"$(seq "${SCALE_SLAVES:-64}")") veth slaves, slb_mac_table_size" \
		"${SCALE_TABLE:-65536}, slb_rebalance_interval 1000 (0 for the failovers), miimon 100"
	echo "MAC table: $(fv known-macs) known MACs ($(fnote known-macs)), on $(fv vlans-in-table) VLANs;" \
		"refused for want of a free slot: $(fv not-learned-full) frames"
	echo
	echo "Memory per bond: what bond_slb_open() asks the allocators for (kprobes on"
	echo "kvmalloc and the per-CPU allocator, caller balance-slb), and what that takes:"
	awk '$1 == "mem-kv" { printf "  kvmalloc %9d B from %-15s -> %-7s %9d B\n", $2, $3, $4, $5 }
	     $1 == "mem-pcpu" { printf "  per-CPU  %9d B from %-15s -> %d B x %d possible CPUs here\n", $2, $3, $2, $4 }' \
		"$OUT/figures.txt"
	echo "  (kmalloc above 8 KiB takes whole pages, a power of two of them; vmalloc"
	echo "  whole pages: /proc/vmallocinfo shows which.  kvmalloc tries kmalloc first,"
	echo "  so on a fresh host the table can take 4 MiB of contiguous pages, on a"
	echo "  fragmented one 2.5 MiB of vmalloc.)"
	echo "  MemAvailable before - after bond0 up: $(kib "$(fv mem-available-drop)") (the whole system, noisy)"
	if [ -s "$OUT/layout.txt" ]; then
		tab=${SCALE_TABLE:-65536} mac=$(lsize slb_mac) bs=$(lsize bond_slb) pc=$(lsize slb_pcpu)
		si=$(lsize slb_slave_info) ns=${SCALE_SLAVES:-64}
		echo "  From the layout (pahole on bonding.ko): struct slb_mac $mac B x $tab;" \
			"struct bond_slb $bs B;"
		echo "  struct slb_pcpu $pc B per possible CPU (256 per-bucket byte counters and"
		echo "  the event counters, u64 each; struct u64_stats_sync is empty on 64-bit);"
		echo "  struct slb_slave_info $si B per slave, inside bonding's struct slave."
		if [ -n "$mac" ] && [ -n "$bs" ] && [ -n "$pc" ]; then
			echo "  Asked for in all: $(kib $((tab * mac + bs + ns * ${si:-0}))) + $(kib "$pc")" \
				"per possible CPU, e.g. $(kib $((tab * mac + bs + ns * ${si:-0} + 64 * pc))) with 64 CPUs."
		fi
	fi
	echo
	echo "Time per call, ftrace function_graph in the guest: TCG wall time (one host"
	echo "thread runs the guest; interrupts and any sleep inside a call count)."
	echo "~native = the median / ${factor}, the TCG factor at the end: a rough estimate."
	g | sed -n '/^TABLE-BEGIN$/,/^TABLE-END$/p' | sed '1d;$d' |
		awk -v f="$factor" '{ m = substr($0, 53, 10); gsub(/ /, "", m)
			if (NR == 1) n = "~native ms"
			else n = (m ~ /^[0-9.]+$/ && f > 0) ? sprintf("%.3f", m / f) : "-"
			printf "%s %10s  %s\n", substr($0, 1, 84), n, substr($0, 87) }' |
		sed 's/ *$//'
	echo
	echo "Work item and rebalancer: $(fv work-moves) bucket moves and $(fv work-announcements)" \
		"announcements in ${SCALE_WORK_SECS:-120} s of load: $(fv work-load) frames/s"
	echo "of 1514 bytes, each port's from the ${SCALE_KEYS:-18} MACs of one of its VLANs at a time, a"
	echo "new VLAN every ${SCALE_LOAD_TURN:-20} s; the generators at nice 19."
	echo "Failovers (announcements, buckets moved, when the pass was done):"
	awk '$1 == "failover" { $1 = ""; sub(/^ /, ""); print "  " $0 }' "$OUT/figures.txt"
	echo "/proc/net/bonding/bond0 is $(fv proc-bytes) bytes; slb_buckets $(fv debugfs-bytes) bytes."
	awk '$1 == "mem-debugfs-read" { $1 = ""; print "A read of slb_buckets allocates" $0 "," }' "$OUT/figures.txt"
	echo "besides the seq_file buffer, which grows by doubling to the output's size."
	echo "Known MACs after the work phase $(fv known-macs-after-work), at the end $(fv known-macs-end)" \
		"(refilled before each phase: fill $(fv fill-secs)/$(fv fill-secs-2)/$(fv fill-secs-3) s)."
	echo
	echo "TCG factor: the same bash and busybox binaries run a loop of known work"
	echo "(200000 empty bash loop turns; 300000 awk array updates) in the guest"
	echo "(${guest_bash} s, ${guest_awk:-?} s wall) and on this host (${host_bash} s, ${host_awk:-?} s CPU):"
	echo "the guest is ${f_bash}x (bash) and ${f_awk:-?}x (awk) slower; ~native uses ${factor}x."
	echo "Kernel code with cache misses (table walks of 2.5 MiB) may gain less on"
	echo "real hardware than this suggests: take ~native as a rough guide, and"
	echo "the guest script on real hardware for real figures (its header says how)."
} >"$OUT/table.txt"
cat "$OUT/table.txt"
echo "bench-scale: $(( $(date +%s) - t_start )) s; results in $OUT"
