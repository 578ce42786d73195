#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-datapath: boot one Debian kernel with our bonding.ko in QEMU
# twice and run tools/bench/vm/datapath.sh there: once on wall-clock time
# (pktgen packets/s per mode, frames lost at failover per mode, all in the
# same boot), once under -icount (instructions and spin locks per frame,
# exact where wall-clock TCG timing is noisy).  Writes, under OUT (default
# build/bench/datapath):
#   tx.csv        mode,slaves,cpus,round,pps
#   failover.csv  mode,dir,round,lost
#   tx-ratio.csv  mode,slaves,cpus,median pps,median ratio,lowest,highest
#   insn.csv      mode,slaves,cpus,round,instructions per frame
#   locks.csv     mode,slaves,cpus,spin locks per frame
#   scale.csv     mode,slaves,cpus,macs,round,instructions per frame
#   table.txt     medians, pps as a ratio to balance-xor layer2 of the same
#                 round with the range over the rounds; instructions and
#                 locks per frame; failover losses
#   pps-ratio.png (when gnuplot is installed)
# BENCH_SECS (seconds per pktgen run, 2), BENCH_ROUNDS (7) and
# BENCH_FAILOVER_ROUNDS (3) change the wall-clock run's length (about 12
# minutes; the -icount run adds about 4).  BENCH_RUNS="icount" (or "wall")
# does one of the two boots and keeps the other's last results;
# BENCH_RUNS=scale boots only for the transmit cost at scale (about 6
# minutes), e.g. to compare two builds of bonding.ko.
# Not a test: under TCG absolute figures mean little; ratios from one run do.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${KVER:-$("$ROOT/tools/kernel.sh" latest 6.12)}
OUT=${OUT:-$ROOT/build/bench/datapath}
mkdir -p "$OUT"
make -s -C "$ROOT" module slbgen KVER="$KVER" >"$OUT/build.log" 2>&1 ||
	{ tail -20 "$OUT/build.log"; exit 1; }

# vm_run NAME TCG PARTS ROUNDS SECS: one boot running the guest benchmark
# with these settings; its KTAP in $OUT/NAME/ktap.log
vm_run() {
	local t=$OUT/$1/tests bin=(--extra-bin "$ROOT/build/tools/slbgen")

	rm -rf "$t"
	mkdir -p "$t/vm"
	cp "$ROOT/selftests/lib.sh" "$ROOT/selftests/slb.sh" "$t/"
	# the guest has no environment of ours: settings go into the copy
	sed -e "s/^SECS=.*/SECS=$5/" -e "s/^ROUNDS=.*/ROUNDS=$4/" \
		-e "s/^FROUNDS=.*/FROUNDS=${BENCH_FAILOVER_ROUNDS:-3}/" \
		-e "s/^PARTS=.*/PARTS='$3'/" \
		"$ROOT/tools/bench/vm/datapath.sh" >"$t/vm/datapath.sh"
	chmod +x "$t/vm/datapath.sh"
	# perf counts the spin locks (kprobes) in the guest
	[ -z "$(command -v perf)" ] || bin+=(--extra-bin "$(command -v perf)")
	"$ROOT/tools/vm/run.sh" --kver "$KVER" "${bin[@]}" \
		--image-root "$("$ROOT/tools/kernel.sh" image "$KVER")" \
		--module "$ROOT/build/$KVER/bonding.ko" --tests "$t" \
		--out "$OUT/$1" --timeout 1500 --tcg-thread "$2" >"$OUT/$1.log" 2>&1 || true
	grep -q '^# BENCH' "$OUT/$1/ktap.log" 2>/dev/null ||
		{ echo "bench-datapath: no figures; see $OUT/$1.log and $OUT/$1/"; exit 1; }
}

# the transmit cost at scale, from scale.csv
scale_table() {
	echo "Transmit cost at scale (-icount, 2 slaves): instructions per frame with"
	echo "MACS source MACs per sending CPU and 1 or 2 CPUs sending; with 2 CPUs"
	echo "the clock counts both CPUs' instructions, so the figure is still per"
	echo "frame.  ratio = the mode's instructions / balance-xor layer2's at the"
	echo "same point (goal for balance-slb: at most 1.03).  slb-table-64k is"
	echo "balance-slb with slb_mac_table_size 65536: all 4096 MACs learned."
	echo
	awk -F, 'FNR == 1 { next }
	{ k = $1 SUBSEP $3 SUBSEP $4; n[k]++; sum[k] += $6 }
	END {
		printf "%-16s %4s %5s %10s %7s\n", "mode", "cpus", "macs", "insn/frame", "ratio"
		split("xor-layer2 xor-vlan+srcmac balance-slb slb-table-64k", modes, " ")
		for (c = 1; c <= 2; c++) for (mi = 1; mi <= 3; mi++) {
			macs = mi == 1 ? 1 : mi == 2 ? 128 : 4096
			b = "xor-layer2" SUBSEP c SUBSEP macs
			for (m = 1; m <= 4; m++) {
				k = modes[m] SUBSEP c SUBSEP macs
				if (!(k in n) || !(b in n)) continue
				printf "%-16s %4d %5d %10.0f %7.3f\n", modes[m], c, macs,
					sum[k] / n[k], (sum[k] / n[k]) / (sum[b] / n[b])
			}
		}
	}' "$OUT/scale.csv"
}

# Wall clock, both host cores (multi-threaded TCG): packets/s and failover.
runs=" ${BENCH_RUNS:-wall icount} "
[[ "$runs" != *" wall "* ]] ||
	vm_run wall multi "tx failover" "${BENCH_ROUNDS:-7}" "${BENCH_SECS:-2}"
# Instruction counts: with -icount the guest's clock advances one
# nanosecond per instruction, so 1e9 / packets-per-second is instructions
# per frame, the same in every run; and the spin locks per frame.
[[ "$runs" != *" icount "* ]] || vm_run icount icount "tx locks scale" 2 1
# only the transmit cost at scale, e.g. to compare two builds of the module
[[ "$runs" != *" scale "* ]] || vm_run scale icount "scale" 0 1
scale_log=$OUT/icount/ktap.log
[[ "$runs" != *" scale "* ]] || scale_log=$OUT/scale/ktap.log
awk '$2 == "BENCH" && $3 == "scale" && $8 ~ /^[0-9]+$/ { sub("round=", "", $9)
	printf "%s,%s,%s,%s,%s,%.0f\n", $4, $5, $6, $7, $9, 1e9 / $8 }' \
	"$scale_log" | sed '1i mode,slaves,cpus,macs,round,instructions per frame' >"$OUT/scale.csv"
if [[ "$runs" == " scale " ]]; then
	{
		echo "balance-slb transmit cost at scale, kernel $KVER, $(date -u +%Y-%m-%d)," \
			"bonding.ko $(git -C "$ROOT" describe --always --dirty)"
		echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); guest: QEMU TCG -icount, 2 vCPUs"
		echo
		scale_table
	} | tee "$OUT/scale.txt"
	exit 0
fi

awk '$2 == "BENCH" && $3 == "tx" && $7 ~ /^[0-9]+$/ { sub("round=", "", $8); print $4 "," $5 "," $6 "," $8 "," $7 }' \
	"$OUT/wall/ktap.log" | sed '1i mode,slaves,cpus,round,pps' >"$OUT/tx.csv"
awk '$2 == "BENCH" && $3 == "failover" { sub("round=", "", $7); print $4 "," $5 "," $7 "," $6 }' \
	"$OUT/wall/ktap.log" | sed '1i mode,dir,round,lost' >"$OUT/failover.csv"
awk '$2 == "BENCH" && $3 == "tx" && $7 ~ /^[0-9]+$/ { sub("round=", "", $8)
	printf "%s,%s,%s,%s,%.0f\n", $4, $5, $6, $8, 1e9 / $7 }' \
	"$OUT/icount/ktap.log" | sed '1i mode,slaves,cpus,round,instructions per frame' >"$OUT/insn.csv"
awk '$2 == "BENCH" && $3 == "locks" && $7 ~ /^[0-9]+$/ { printf "%s,%s,%s,%.3f\n", $4, $5, $6, $7 / 1000 }' \
	"$OUT/icount/ktap.log" | sed '1i mode,slaves,cpus,spin locks per frame' >"$OUT/locks.csv"


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
	echo "Instructions per frame: the same pktgen runs under QEMU -icount, where"
	echo "the guest clock advances 1 ns per guest instruction, so 1e9/pps counts"
	echo "the instructions a frame costs (all of the path: pktgen, skb, bonding,"
	echo "dummy).  Not timing: the rounds agree to a few instructions.  With"
	echo "-icount the vCPUs take turns on one clock, so only 1 CPU is shown; what"
	echo "a second CPU costs on real hardware, shared cache lines written per"
	echo "frame, shows as spin locks taken per frame on the transmit path"
	echo "(kprobes on the spin_lock functions, 2 slaves, 1 CPU, 20000 frames)."
	echo "ratio = balance-xor layer2's instructions per frame / the mode's,"
	echo "i.e. the packets/s ratio a CPU-bound sender would see."
	echo
	awk -F, 'FNR == 1 { next }
	FILENAME ~ /insn/ { k = $1 SUBSEP $2 SUBSEP $3; n[k]++; sum[k] += $5
			    if (!(k in lo) || $5 < lo[k]) lo[k] = $5; if ($5 > hi[k]) hi[k] = $5 }
	FILENAME ~ /locks/ { lk[$1] = $4 }
	END {
		printf "%-18s %6s %4s %10s %9s %7s %12s\n", "mode", "slaves", "cpus", "insn/frame",
			"rounds", "ratio", "locks/frame"
		split("active-backup xor-layer2 xor-vlan+srcmac balance-tlb balance-slb", modes, " ")
		c = 1
		for (s = 2; s <= 4; s += 2) for (m = 1; m <= 5; m++) {
			k = modes[m] SUBSEP s SUBSEP c; b = "xor-layer2" SUBSEP s SUBSEP c
			if (!(k in n) || !(b in n)) continue
			printf "%-18s %6d %4d %10.0f %4d-%-4d %7.3f %12s\n", modes[m], s, c,
				sum[k] / n[k], lo[k], hi[k], (sum[b] / n[b]) / (sum[k] / n[k]),
				(s == 2 && c == 1 && (modes[m] in lk)) ? lk[modes[m]] : ""
		}
	}' "$OUT/insn.csv" "$OUT/locks.csv"
	echo
	scale_table
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
