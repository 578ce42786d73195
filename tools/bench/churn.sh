#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-churn: is balance-slb better balanced than Open vSwitch's
# balance-slb, with fewer MAC moves, over several churn runs?  One QEMU
# boot of one Debian kernel runs the churn run of make bench-peers (12 VMs,
# two replaced every 30 s; tools/bench/vm/peers.sh, part "churns")
# BENCH_CHURN_RUNS times (5) for both systems, interleaved (run 1
# balance-slb first, run 2 Open vSwitch first, ...), each run on a bond
# made afresh (a new hash seed, a new hash basis) with the schedule of seed
# BENCH_CHURN_SEED + run (6: run 1 is bench-peers' schedule), both systems
# the same schedule in a run; BENCH_CHURN_SECS (600) s each: about
# 2 x (BENCH_CHURN_SECS + 30) s per run plus the boot, divided by
# BENCH_CHURN_BOOTS (1), the boots run side by side.  BENCH_CHURN_REUSE=1
# makes the tables again from the last boots' logs.
# Writes, under OUT (default build/bench/churn):
#   churn.csv    system,run,second,eth0 bytes,eth1 bytes,opt (per second)
#   runs.csv     system,run,util_opt_mean,moves,moves_per_hour,
#                max_moves_per_mac_60s
#   epochs.csv   run,epoch,slb util/opt,ovs util/opt,difference (slb - ovs),
#                an epoch being a 30 s step of the schedule
#   moves.csv    system,run,second,mac: every move of a churn VM's MAC
#   figures.csv  system,run,figure,value: the guest's other figures
#   table.txt    per run, medians and ranges, the paired differences and a
#                verdict
# util/opt: each second, the busiest link's share of the traffic over the
# best share the VMs' rates allow, as make bench-peers computes it (1.000
# is optimal); lower is better.
# Not a test: under TCG absolute timings mean little; the systems are
# compared side by side in one boot.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=bench-churn
# shellcheck source=tools/bench/peers-boot.sh
source "$ROOT/tools/bench/peers-boot.sh"

# shellcheck disable=SC2034 # vm_boot passes it on
BENCH_SYSTEMS="balance-slb ovs-balance-slb"
BENCH_CHURN_RUNS=${BENCH_CHURN_RUNS:-5}
BENCH_CHURN_SECS=${BENCH_CHURN_SECS:-600}
BENCH_CHURN_SEED=${BENCH_CHURN_SEED:-6}
runs=$BENCH_CHURN_RUNS secs=$BENCH_CHURN_SECS
# a system's run: its churn run and up to 90 s to make and end its bond
# BENCH_CHURN_BOOTS (1) boots side by side, one per host CPU at most, each
# with its share of the runs (whole runs: both systems of a run stay in
# one boot); under TCG a boot takes one host CPU
boots=${BENCH_CHURN_BOOTS:-1}
((boots >= 1 && boots <= runs && boots <= $(nproc))) ||
	{ echo "$BENCH: BENCH_CHURN_BOOTS must be 1 to min(runs, CPUs)" >&2; exit 2; }
# run.sh lets one QEMU run at a time (its lock in TMPDIR): each boot gets
# a TMPDIR of its own.  BENCH_CHURN_REUSE=1: no boot, the tables again
# from the last boots' logs under OUT.
if [[ -z ${BENCH_CHURN_REUSE:-} ]]; then
	rm -rf "$OUT"/churn[0-9]*
	git -C "$ROOT" describe --always --dirty >"$OUT/module"
	start=$(date +%s)
	first=1
	for ((b = 1; b <= boots; b++)); do
		n=$(((runs - first + 1) / (boots - b + 1)))
		mkdir -p "$OUT/churn$b.tmp"
		TMPDIR=$OUT/churn$b.tmp BENCH_CHURN_FIRST=$first BENCH_CHURN_RUNS=$n \
			vm_boot churn$b single churns $((n * 2 * (secs + 90) + 120)) churnfig &
		first=$((first + n))
	done
	fail=0
	for ((b = 1; b <= boots; b++)); do wait -n || fail=1; done
	((!fail)) || exit 1
	echo $(($(date +%s) - start)) >"$OUT/wall"
	echo "$boots" >"$OUT/boots"
fi
wall=$(cat "$OUT/wall")
boots=$(cat "$OUT/boots")
BENCH_MODULE=$(cat "$OUT/module")
logs=("$OUT"/churn[0-9]*/ktap.log)

awk '$2 == "BENCH" && $3 == "churn" { printf "%s,%s,%s,%s,%s,%.3f\n", $4, $5, $6, $7, $8, $9 / 1000 }' "${logs[@]}" |
	sed '1i system,run,second,eth0 bytes,eth1 bytes,opt' >"$OUT/churn.csv"
awk '$2 == "BENCH" && $3 == "churnfig" { print $4 "," $5 "," $6 "," $7 }' "${logs[@]}" |
	sed '1i system,run,figure,value' >"$OUT/figures.csv"
awk '$2 == "BENCH" && $3 == "churnmv" { print $4 "," $5 "," $6 "," $7 }' "${logs[@]}" |
	sed '1i system,run,second,mac' >"$OUT/moves.csv"

# runs.csv: a system's run; the most moves of one MAC in any 60 s: a move
# at second s and the moves before it within (s - 60, s]
awk -F, '
FNR == 1 { f++; next }
f == 1 { tot = $4 + $5; if (tot == 0) next
	k = $1 "," $2; if (!(k in n)) order[++nk] = k
	u[k] += ($4 > $5 ? $4 : $5) / tot / $6; n[k]++; next }
f == 2 { fig[$1 "," $2, $3] = $4; next }
{	k = $1 "," $2 "," $4; c = ++nm[k]; tm[k, c] = $3
	for (i = c; i > 0 && tm[k, c] - tm[k, i] < 60; i--);
	k = $1 "," $2
	if (c - i > most[k]) most[k] = c - i
}
END {
	print "system,run,util_opt_mean,moves,moves_per_hour,max_moves_per_mac_60s"
	for (j = 1; j <= nk; j++) {
		k = order[j]; mv = fig[k, "moves"]; s = fig[k, "secs"]
		printf "%s,%.4f,%d,%.1f,%s\n", k, u[k] / n[k], mv, s ? mv * 3600 / s : 0,
			fig[k, "permac"] == "n/a" ? "n/a" : most[k] + 0
	}
}' "$OUT/churn.csv" "$OUT/figures.csv" "$OUT/moves.csv" >"$OUT/runs.csv"

# epochs.csv: epoch e holds the seconds (30 (e - 1), 30 e]: the VMs that
# sent in them (two are replaced right after second 30 e's counters)
awk -F, 'NR > 1 && $4 + $5 > 0 {
	k = $2 "," int(($3 - 1) / 30) + 1; s = ($1 == "balance-slb" ? 1 : 2)
	u[k, s] += ($4 > $5 ? $4 : $5) / ($4 + $5) / $6; n[k, s]++
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
}
END {
	print "run,epoch,slb util/opt,ovs util/opt,difference"
	for (j = 1; j <= nk; j++) {
		k = order[j]
		if (!n[k, 1] || !n[k, 2]) continue
		a = u[k, 1] / n[k, 1]; b = u[k, 2] / n[k, 2]
		printf "%s,%.4f,%.4f,%.4f\n", k, a, b, a - b
	}
}' "$OUT/churn.csv" >"$OUT/epochs.csv"

{
	bench_header "balance-slb vs Open vSwitch balance-slb, churn runs"
	echo "Open vSwitch $(deb_version openvswitch-switch); $runs runs of $secs s per system," \
		"interleaved in $boots boot(s) side by side ($wall s), schedule seeds $((BENCH_CHURN_SEED + 1))-$((BENCH_CHURN_SEED + runs))"
	echo "order in each run: $(awk -F, '$3 == "order" { print $2 * 1000 + $4, $1 " " $2 }' "$OUT/figures.csv" |
		sort -n | cut -d' ' -f2- | paste -sd, - | sed 's/,/, /g')"
	echo
	awk -F, '
	# t95 DF: the two-sided 95 % quantile of Student t (a table to 30,
	# then the Cornish-Fisher series in 1/DF)
	function t95(df,   z) {
		if (df <= 30) return T[df]
		z = 1.959964
		return z + (z^3 + z) / (4 * df) + (5 * z^5 + 16 * z^3 + 3 * z) / (96 * df^2) \
			+ (3 * z^7 + 19 * z^5 + 17 * z^3 - 15 * z) / (384 * df^3)
	}
	function sort(a, n,   i, j, x) {
		for (i = 2; i <= n; i++) {
			x = a[i]
			for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]
			a[j + 1] = x
		}
	}
	function median(a, n) { sort(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	# stats NAME A N: mean, interval half-width (0: too few), in M[NAME], H[NAME]
	function stats(name, a, n,   i, s, ss) {
		for (i = 1; i <= n; i++) s += a[i]
		M[name] = s / n
		for (i = 1; i <= n; i++) ss += (a[i] - M[name])^2
		H[name] = n > 1 ? t95(n - 1) * sqrt(ss / (n - 1) / n) : 0
	}
	function interval(name, n) {
		return n > 1 ? sprintf("%+.4f  [%+.4f, %+.4f]", M[name], M[name] - H[name], M[name] + H[name]) \
			: sprintf("%+.4f  (no interval: one value)", M[name])
	}
	BEGIN {
		split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 " \
			"2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 " \
			"2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045 2.042", T, " ")
		NS = split("balance-slb ovs-balance-slb", S, " ")
	}
	FNR == 1 { f++; next }
	f == 1 { r[$1, ++nr[$1]] = $0; next }
	{	ne++; d[ne] = $5; dr[$1] += $5; nd[$1]++
		if (!($1 in rs)) rn[++nrun] = $1; rs[$1] = 1
		better += $5 < 0; worse += $5 > 0
	}
	END {
		printf "%-16s %4s %9s %6s %6s %8s\n", "system", "run", "util/opt", "moves", "mv/h", "mac/60s"
		for (i = 1; i <= NS; i++)
			for (j = 1; j <= nr[S[i]]; j++) {
				split(r[S[i], j], v, ",")
				printf "%-16s %4s %9.4f %6d %6.0f %8s\n", v[1], v[2], v[3], v[4], v[5], v[6]
				U[i, j] = v[3]; MH[i, j] = v[5]; PM[i, j] = v[6]
			}
		print ""
		print "over the runs: median (min-max)"
		printf "%-16s %24s %18s %12s\n", "system", "util/opt", "mv/h", "mac/60s"
		for (i = 1; i <= NS; i++) {
			if (!(n = nr[S[i]])) { printf "%-16s no runs\n", S[i]; continue }
			for (j = 1; j <= n; j++) { a[j] = U[i, j]; b[j] = MH[i, j]; c[j] = PM[i, j] }
			med[i, "u"] = median(a, n); lo = a[1]; hi = a[n]
			x = sprintf("%.4f (%.4f-%.4f)", med[i, "u"], lo, hi)
			med[i, "m"] = median(b, n)
			y = sprintf("%.0f (%.0f-%.0f)", med[i, "m"], b[1], b[n])
			med[i, "p"] = median(c, n)
			z = sprintf("%g (%d-%d)", med[i, "p"], c[1], c[n])
			if (c[n] == "n/a") z = med[i, "p"] = "n/a"
			printf "%-16s %24s %18s %12s\n", S[i], x, y, z
		}
		print ""
		stats("e", d, ne)
		for (j = 1; j <= nrun; j++) pr[j] = dr[rn[j]] / nd[rn[j]]
		stats("r", pr, nrun)
		print "util/opt, balance-slb - Open vSwitch, paired by run and epoch (30 s):"
		printf "  over the %d epochs, mean and 95 %% t interval:     %s\n", ne, interval("e", ne)
		printf "  over the %d runs'"'"' means, mean and 95 %% t interval: %s\n", nrun, interval("r", nrun)
		print "  (the epochs of a run share its hash seed and its VMs: they are not"
		print "  independent samples and their interval is only indicative; the"
		print "  runs'"'"' interval is the one to judge by)"
		printf "  epochs where balance-slb was better: %d of %d (worse %d, equal %d)\n",
			better, ne, worse, ne - better - worse
		print ""
		cmp = M["r"] < 0 ? "better" : "worse"
		if (nrun < 2)
			why = "one run: no interval"
		else if (M["r"] + H["r"] < 0 || M["r"] - H["r"] > 0)
			why = "the runs'"'"' 95 % interval excludes 0"
		else
			why = "on average only, not significantly: the runs'"'"' 95 % interval includes 0"
		bal = sprintf("balance-slb is %s balanced than Open vSwitch (%+.4f; %s)", cmp, M["r"], why)
		if (nrun > 1 && M["r"] - H["r"] > 0) bal = "balance-slb LOSES on balance: " bal
		mv = med[1, "m"] < med[2, "m"] ? "fewer MAC moves" : \
			(med[1, "m"] > med[2, "m"] ? "MORE MAC moves (it LOSES there)" : "as many MAC moves")
		printf "verdict: %s, with %s (median %.0f/h vs %.0f/h); most moves of one" \
			" MAC in 60 s: %s vs %s (medians)\n",
			bal, mv, med[1, "m"], med[2, "m"], med[1, "p"], med[2, "p"]
	}' "$OUT/runs.csv" "$OUT/epochs.csv"
	cat <<-EOF

	Columns:
	  util/opt   busiest link's share of each second's traffic over the best
	             share the VMs' rates allow, mean over the run (1.000 is
	             optimal; lower is better)
	  moves      bucket (balance-slb) or hash (Open vSwitch) moves in the run;
	             mv/h the same per hour
	  mac/60s    most moves of one churn VM's MAC within any 60 s, what a
	             switch's MAC-flap detection counts.  balance-slb: its bucket
	             table (debugfs) read each second, a move of a bucket is one
	             of every MAC listed in it, VMs that left but are not yet
	             aged out too (the module announces them); Open vSwitch: its
	             log's "shift ... (with hash H)" lines, a move of every churn
	             VM's MAC with that hash (bond/hash) while the VM sent
	EOF
} >"$OUT/table.txt"
cat "$OUT/table.txt"
