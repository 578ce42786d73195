#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-datapath: boot one Debian kernel with our bonding.ko in QEMU and
# run tools/bench/vm/datapath.sh there (pktgen transmit cost per mode, frames
# lost at failover per mode, all in the same boot).  Writes, under OUT
# (default build/bench/datapath):
#   tx.csv        mode,slaves,cpus,round,pps
#   failover.csv  mode,dir,round,lost
#   tx-ratio.csv  mode,slaves,cpus,median pps,median ratio,lowest,highest
#   table.txt     medians, and pps as a ratio to balance-xor layer2 of the
#                 same round, with the range over the rounds
#   pps-ratio.png (when gnuplot is installed)
# BENCH_SECS (seconds per pktgen run, 2), BENCH_ROUNDS (7) and
# BENCH_FAILOVER_ROUNDS (3) change its length (about 12 minutes).
# Not a test: under TCG absolute figures mean little; ratios from one run do.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${KVER:-$("$ROOT/tools/kernel.sh" latest 6.12)}
OUT=${OUT:-$ROOT/build/bench/datapath}
mkdir -p "$OUT"
make -s -C "$ROOT" module slbgen KVER="$KVER" >"$OUT/build.log" 2>&1 ||
	{ tail -20 "$OUT/build.log"; exit 1; }

# a tests directory the harness understands: lib.sh, slb.sh, vm/<bench>
t=$OUT/tests
rm -rf "$t"
mkdir -p "$t/vm"
cp "$ROOT/selftests/lib.sh" "$ROOT/selftests/slb.sh" "$t/"
# the guest has no environment of ours: settings go into the copy
sed -e "s/^SECS=.*/SECS=${BENCH_SECS:-2}/" -e "s/^ROUNDS=.*/ROUNDS=${BENCH_ROUNDS:-7}/" \
	-e "s/^FROUNDS=.*/FROUNDS=${BENCH_FAILOVER_ROUNDS:-3}/" \
	-e "s/^PARTS=.*/PARTS='${BENCH_PARTS:-tx failover}'/" \
	"$ROOT/tools/bench/vm/datapath.sh" >"$t/vm/datapath.sh"
chmod +x "$t/vm/datapath.sh"
"$ROOT/tools/vm/run.sh" --kver "$KVER" --extra-bin "$ROOT/build/tools/slbgen" \
	--image-root "$("$ROOT/tools/kernel.sh" image "$KVER")" \
	--module "$ROOT/build/$KVER/bonding.ko" --tests "$t" \
	--out "$OUT/vm" --timeout 900 --tcg-thread "${BENCH_TCG:-multi}" >"$OUT/run.log" 2>&1 || true
grep -q '^# BENCH' "$OUT/vm/ktap.log" 2>/dev/null ||
	{ echo "bench-datapath: no figures; see $OUT/run.log and $OUT/vm/"; exit 1; }

awk '$2 == "BENCH" && $3 == "tx" && $7 ~ /^[0-9]+$/ { sub("round=", "", $8); print $4 "," $5 "," $6 "," $8 "," $7 }' \
	"$OUT/vm/ktap.log" | sed '1i mode,slaves,cpus,round,pps' >"$OUT/tx.csv"
awk '$2 == "BENCH" && $3 == "failover" { sub("round=", "", $7); print $4 "," $5 "," $7 "," $6 }' \
	"$OUT/vm/ktap.log" | sed '1i mode,dir,round,lost' >"$OUT/failover.csv"

# medians over rounds; ratios to balance-xor layer2 of the same slaves/cpus
{
	echo "balance-slb datapath benchmark, kernel $KVER, $(date -u +%Y-%m-%d)," \
		"bonding.ko $(git -C "$ROOT" describe --always --dirty)"
	echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); guest: QEMU TCG, 2 vCPUs"
	echo
	echo "Transmit: pktgen, 60-byte frames from 128 source MACs per CPU, dummy slaves."
	echo "Each round runs every mode once, back to back, in a rotating order; a"
	echo "mode's ratio in a round is its packets/s over balance-xor layer2's in"
	echo "the same round (same slaves, CPUs).  Shown: median packets/s, median"
	echo "ratio and the range of the ratios over the rounds (TCG timing noise)."
	echo
	awk -F, 'NR > 1 { k = $1 SUBSEP $2 SUBSEP $3; pps[k, $4] = $5; v[k] = v[k] " " $5
			  keys[k] = 1; if ($4 > rounds) rounds = $4 }
	function sort(s, a,   n, i, j, t) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n
	}
	function median(s,   a, n) {
		n = sort(s, a)
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		printf "%-18s %6s %4s %10s %7s  %s\n", "mode", "slaves", "cpus", "pps", "ratio", "range"
		split("active-backup xor-layer2 xor-vlan+srcmac balance-tlb balance-slb", modes, " ")
		for (n = 2; n <= 4; n += 2) for (c = 1; c <= 2; c++) {
			for (m = 1; m <= 5; m++) {
				k = modes[m] SUBSEP n SUBSEP c
				b = "xor-layer2" SUBSEP n SUBSEP c
				if (!(k in keys)) continue
				rs = ""
				for (r = 1; r <= rounds; r++)
					if ((k, r) in pps && pps[b, r] > 0)
						rs = rs " " pps[k, r] / pps[b, r]
				nr = sort(rs, ra)
				ratio = nr ? median(rs) : 0
				printf "%-18s %6d %4d %10d %7.2f  %.2f-%.2f\n", modes[m], n, c, median(v[k]),
					ratio, ra[1], ra[nr]
				print modes[m] "," n "," c "," median(v[k]) "," ratio "," ra[1] "," ra[nr] >"'"$OUT"'/tx-ratio.csv"
			}
		}
	}' "$OUT/tx.csv"
	echo
	echo "Failover: frames lost at 2000 frames/s when the slave carrying the stream"
	echo "loses carrier (miimon 100 for all); each round, then the mean"
	echo
	awk -F, 'NR > 1 { k = $1 " " $2; v[k] = v[k] " " $4; s[k] += $4; n[k]++ }
	END { printf "%-14s %-3s %-22s %6s\n", "mode", "dir", "lost per round", "mean"
	      split("active-backup balance-tlb balance-slb", modes, " ")
	      for (m = 1; m <= 3; m++) for (d = 1; d <= 2; d++) {
		k = modes[m] " " (d == 1 ? "tx" : "rx")
		if (k in n) printf "%-14s %-3s %-22s %6.1f\n", modes[m], (d == 1 ? "tx" : "rx"), v[k], s[k] / n[k]
	      } }' "$OUT/failover.csv"
} >"$OUT/table.txt"

if command -v gnuplot >/dev/null; then
	gnuplot <<-GP
		set terminal pngcairo size 900,450 noenhanced
		set output "$OUT/pps-ratio.png"
		set datafile separator ","
		set title "transmit packets/s relative to balance-xor layer2 (median and range over rounds, $KVER)"
		set style data histogram
		set style histogram errorbars gap 1 lw 1
		set style fill solid 0.8 border -1
		set yrange [0:*]
		set ylabel "ratio"
		set key outside right
		set xtics rotate by -20
		plot "< awk -F, '\$2 == 2 && \$3 == 1' $OUT/tx-ratio.csv" using 5:6:7:xtic(1) title "2 slaves, 1 CPU", \
		     "< awk -F, '\$2 == 2 && \$3 == 2' $OUT/tx-ratio.csv" using 5:6:7 title "2 slaves, 2 CPUs", \
		     "< awk -F, '\$2 == 4 && \$3 == 1' $OUT/tx-ratio.csv" using 5:6:7 title "4 slaves, 1 CPU", \
		     "< awk -F, '\$2 == 4 && \$3 == 2' $OUT/tx-ratio.csv" using 5:6:7 title "4 slaves, 2 CPUs"
	GP
else
	echo "bench-datapath: gnuplot not installed, no plot" >&2
fi
cat "$OUT/table.txt"
