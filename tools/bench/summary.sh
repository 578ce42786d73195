#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench's closing table: one line per mode or algorithm, with the
# headline figures of both benchmarks side by side.
#   summary.sh SIM_DIR DATAPATH_DIR
# SIM_DIR holds summary.csv (bench-sim), DATAPATH_DIR insn.csv, locks.csv
# and failover.csv (bench-datapath).  A figure a benchmark does not give
# for a mode (the simulator has no active-backup, the VM no OVS) is "-".
set -euo pipefail

sim=$1/summary.csv
dp=$2
for f in "$sim" "$dp/insn.csv" "$dp/locks.csv" "$dp/failover.csv"; do
	[ -f "$f" ] || { echo "bench summary: no $f" >&2; exit 1; }
done

# where the figures come from: the first line of each benchmark's table
for f in "$1/table.txt" "$dp/table.txt"; do
	[ ! -f "$f" ] || head -1 "$f"
done
echo
awk -F, '
FNR == 1 { next }
FILENAME ~ /summary.csv$/ {
	# algorithm: mean util/opt over the traces, worst trace, traces within
	# 1.05 of the optimum, moves summed over the traces
	a = $11; n[a]++; if ($12 > w[a]) w[a] = $12
	# equal and mixed link speeds apart: a speed-blind model is 5x off on
	# mixed ones, which would swamp any difference on equal ones
	k = split($4, sp, "/"); eq = 1
	for (i = 2; i <= k; i++) if (sp[i] != sp[1]) eq = 0
	if (eq) { ue[a] += $12; ne[a]++ } else { um[a] += $12; nm[a]++ }
	if ($12 <= 1.05) ok[a]++; mv[a] += $15; ntr = n[a]
	next
}
FILENAME ~ /insn.csv$/ && $2 == 2 && $3 == 1 { ins[$1] += $5; ni[$1]++; next }
FILENAME ~ /locks.csv$/ { lk[$1] = $4; next }
FILENAME ~ /failover.csv$/ { fl[$1 "," $2] += $4; nf[$1 "," $2]++; next }
function f3(x) { return x == "" ? "-" : sprintf("%.3f", x) }
function f1(x) { return x == "" ? "-" : sprintf("%.1f", x) }
END {
	base = ni["xor-layer2"] ? ins["xor-layer2"] / ni["xor-layer2"] : 0
	printf "%-16s %8s %8s %7s %8s %8s %10s %7s %8s %8s\n", "", "util/opt", "util/opt", "worst",
		"<=1.05", "moves", "insn ratio", "locks", "lost tx", "lost rx"
	printf "%-16s %8s %8s\n", "", "equal", "mixed"
	split("balance-slb:balance-slb ovs-slb:- tlb:balance-tlb teamd:- " \
	      "-:active-backup -:xor-layer2 -:xor-vlan+srcmac", rows, " ")
	for (r = 1; r in rows; r++) {
		split(rows[r], p, ":"); s = p[1]; d = p[2]
		name = s != "-" ? s : d
		if (s == "tlb") name = "balance-tlb"
		if (s == "ovs-slb") name = "ovs-slb (model)"
		if (s == "teamd") name = "teamd (model)"
		printf "%-16s %8s %8s %7s %8s %8s %10s %7s %8s %8s\n", name,
			ne[s] ? f3(ue[s] / ne[s]) : "-", nm[s] ? f3(um[s] / nm[s]) : "-",
			s in n ? f3(w[s]) : "-",
			s in n ? (ok[s] + 0) "/" n[s] : "-", s in n ? mv[s] : "-",
			(d in ni && base) ? f3(base / (ins[d] / ni[d])) : "-",
			d in lk ? lk[d] : "-",
			(d "," "tx") in nf ? f1(fl[d ",tx"] / nf[d ",tx"]) : "-",
			(d "," "rx") in nf ? f1(fl[d ",rx"] / nf[d ",rx"]) : "-"
	}
	printf "\nutil/opt: mean over the simulated traces (%d equal-speed, %d mixed-speed)\n", ne["balance-slb"], nm["balance-slb"]
	print "of the mean highest link utilisation / optimum; ovs-slb models Open"
	print "vSwitch 3.x (ofproto/bond.c), which balances bytes, blind to link speed;"
	print "worst: the worst trace; <=1.05: traces within"
	print "1.05x; moves: bucket moves summed over the traces (make bench-sim)."
	print "insn ratio: balance-xor layer2 instructions per frame / the mode'"'"'s"
	print "(2 slaves, 1 CPU, QEMU -icount); locks: spin locks taken per frame;"
	print "lost: mean frames lost per failover at 2000 frames/s (make bench-datapath)."
}' "$sim" "$dp/insn.csv" "$dp/locks.csv" "$dp/failover.csv"
