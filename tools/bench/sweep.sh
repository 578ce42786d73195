#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The simulator over many variants of every trace: same shape (kind,
# slaves, speeds, MACs), other MAC addresses, rates and timings.  One
# variant is one draw; whether a trace meets the goal can hinge on which
# buckets the hash happened to fill, so this shows how often each
# algorithm gets there rather than whether it did once.
#   sweep.sh SIM OUTDIR [SEEDS [SIM_ARGS...]]   (make bench-sweep SEEDS=N)
# Variant 0 is the published table (make bench-sim).  Writes OUTDIR/<k>/
# per variant, OUTDIR/summary.csv (all of them, with a variant column)
# and OUTDIR/sweep.txt.
set -euo pipefail

sim=$1
out=$2
seeds=${3:-10}
shift $(($# < 3 ? $# : 3))
case $seeds in
'' | *[!0-9]* | 0) echo "sweep: SEEDS must be a positive number, not '$seeds'" >&2; exit 2 ;;
esac
mkdir -p "$out"

# one simulator per CPU; each variant is deterministic and independent
jobs=$(nproc)
for ((k = 0; k < seeds; k++)); do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	"$sim" --out "$out/$k" --seed "$k" "$@" >/dev/null &
done
wait
for ((k = 0; k < seeds; k++)); do
	[ -s "$out/$k/summary.csv" ] || { echo "sweep: variant $k gave no results" >&2; exit 1; }
done

{
	echo "variant,$(head -1 "$out/0/summary.csv")"
	for ((k = 0; k < seeds; k++)); do
		tail -n +2 "$out/$k/summary.csv" | sed "s/^/$k,/"
	done
} >"$out/summary.csv"

{
echo "balance-slb against the model of Open vSwitch 3.x (ovs-slb) over $seeds variants of each trace (tools/bench/sweep.sh)"
head -1 "$out/0/table.txt"
echo
awk -F, -v seeds="$seeds" '
FNR == 1 { next }
# variant, then the columns of sim'"'"'s summary.csv
$12 == "balance-slb" || $12 == "ovs-slb" {
	v = $1; t = $2; kind[t] = $3
	if (!(t in seen)) { seen[t] = 1; order[++nt] = t }
	if ($12 == "balance-slb") {
		su[t, v] = $13; sm[t, v] = $16; sh[t, v] = $21
		if ($25 == "met") met[t]++
		if ($24 != "n/a") { stat[t] = 1; if ($24 == 0) st0[t]++ }
	} else {
		ou[t, v] = $13; om[t, v] = $16; oh[t, v] = $21
	}
}
END {
	printf "%-19s %6s %6s %7s %7s %7s %6s %6s %6s %6s %6s %6s %6s %s\n",
		"trace", "slb", "ovs", "slb", "ovs", "slb", "slb", "ovs", "fewer",
		"same", "more", "more*", "steady", "goal"
	printf "%-19s %6s %6s %7s %7s %7s %6s %6s %6s %6s %6s %6s %6s %s\n",
		"", "u/opt", "u/opt", "<=1.05", "<=1.05", "moves", "MACmv", "MACmv",
		"moves", "moves", "moves", "moves", "0", "met"
	for (i = 1; i <= nt; i++) {
		t = order[i]
		n = 0; us = uo = ms = hs = ho = 0; ks = ko = f = s = m = mq = 0
		for (v = 0; v < seeds; v++) {
			if (!((t, v) in su) || !((t, v) in ou)) continue
			n++; us += su[t, v]; uo += ou[t, v]; ms += sm[t, v]
			hs += sh[t, v]; ho += oh[t, v]
			if (su[t, v] <= 1.05) ks++
			if (ou[t, v] <= 1.05) ko++
			if (sm[t, v] < om[t, v]) f++
			else if (sm[t, v] == om[t, v]) s++
			else { m++; if (ou[t, v] <= 1.05) mq++ }
		}
		if (!n) continue
		printf "%-19s %6.3f %6.3f %4d/%-2d %4d/%-2d %7.1f %6.3f %6.3f %6d %6d %6d %6d %6s %d/%d\n",
			t, us / n, uo / n, ks, n, ko, n, ms / n, hs / n, ho / n,
			f, s, m, mq, stat[t] ? (st0[t] + 0) "/" n : "n/a",
			met[t] + 0, n
		tot += met[t]; all += n
		# the rebalancer goal of issue 16, part by part
		nmq += mq
		if (stat[t]) { sn += n; sk += ks; sst += st0[t] }
		if (kind[t] != "uniform" && kind[t] != "zipf" &&
		    kind[t] != "eleph") {
			nd++
			if (us / n <= uo / n && hs / n <= ho / n) dok++
			else dbad = dbad " " t
		}
	}
	printf "\ngoal met in %d of %d trace variants (sim.c'"'"'s goal)\n", tot, all
	print "issue 16'"'"'s rebalancer goal:"
	printf "  static traces within 1.05x: %d of %d (goal 95 %%: %d)\n", sk, sn,
		int((95 * sn + 99) / 100)
	printf "  more* (more moves than an OVS model within 1.05x): %d (goal 0)\n", nmq
	printf "  static variants with no steady-state move: %d of %d (goal all)\n",
		sst, sn
	printf "  churn, voip, fail: u/opt and MACmv no worse than ovs in %d of %d%s\n",
		dok, nd, dbad == "" ? "" : " (not:" dbad ")"
	print "u/opt: mean over the variants of the mean highest link utilisation /"
	print "optimum; <=1.05: variants within 1.05x; moves: mean per variant;"
	print "MACmv: MAC moves per MAC present per hour, mean over the variants;"
	print "fewer/same/more: variants where balance-slb moved fewer, as many or"
	print "more buckets than the OVS model; more*: of those, variants where the"
	print "OVS model itself stayed within 1.05x; steady 0: static-trace variants"
	print "with no move in steady state; goal met: all three (see sim.c)."
}' "$out/summary.csv"
} | tee "$out/sweep.txt"
