#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-peers: balance-slb beside the systems users run today, in one
# QEMU boot of one Debian kernel, on the same topology and traffic
# (tools/bench/vm/peers.sh draws it): Open vSwitch's balance-slb (Debian's
# openvswitch-switch, unpacked for the guest, never installed),
# NetworkManager's balance-slb recipe (balance-xor vlan+srcmac plus its
# nftables rules, with Debian's nft), balance-tlb and active-backup.
# Writes, under OUT (default build/bench/peers):
#   peers.csv   system,figure,value,note (one row per measurement)
#   util.csv    system,second,eth0 bytes,eth1 bytes,optimal busiest share
#   table.txt   one row per system: means over the rounds, "n/a" with the
#               reason below the table where a system has no such thing
#   util.png    per-link share of the traffic over the churn run, one panel
#               per system (when gnuplot is installed)
# BENCH_CHURN_SECS (600), BENCH_FAILOVER_ROUNDS (3), BENCH_SYSTEMS and
# BENCH_PARTS (see the guest script) change what runs; about 15 minutes
# per system with the defaults.
# Not a test: under TCG absolute timings mean little; the systems are
# compared side by side in one run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=bench-peers
# shellcheck source=tools/bench/peers-boot.sh
source "$ROOT/tools/bench/peers-boot.sh"

secs=${BENCH_CHURN_SECS:-600}
# everything on the wall clock; instructions per frame under -icount
parts=${BENCH_PARTS:-failover reorder duplicates own migration move churn spoof insn}
wall=${parts/insn/}
[ -z "${wall// /}" ] || vm_boot wall single "$wall" $((5 * (secs + 300))) peers
[[ " $parts " != *" insn "* ]] || vm_boot icount icount insn $((5 * (secs + 300))) peers
log=$(ls "$OUT"/{wall,icount}/ktap.log 2>/dev/null || :)

awk '$2 == "BENCH" && $3 == "peers" { note = ""
	for (i = 7; i <= NF; i++) note = note (i > 7 ? " " : "") $i
	gsub(/"/, "", note); printf "%s,%s,%s,\"%s\"\n", $4, $5, $6, note }' $log |
	sed '1i system,figure,value,note' >"$OUT/peers.csv"
awk '$2 == "BENCH" && $3 == "util" { printf "%s,%s,%s,%s,%.3f\n", $4, $5, $6, $7, $8 / 1000 }' $log |
	sed '1i system,second,eth0 bytes,eth1 bytes,optimal busiest share' >"$OUT/util.csv"

{
	bench_header "balance-slb and its peers"
	echo "Open vSwitch $(deb_version openvswitch-switch), nftables $(deb_version nftables)"
	echo
	awk -F, -v secs="$secs" '
	FILENAME ~ /util/ && FNR > 1 { tot = $3 + $4; if (tot == 0) next
		hi = ($3 > $4 ? $3 : $4) / tot; u[$1] += hi / $5; nu[$1]++; next }
	FILENAME ~ /peers/ && FNR > 1 {
		s = $1; f = $2; v = $3; note = $0; sub(/^[^"]*"/, "", note); sub(/"$/, "", note)
		if (!(s in seen)) { seen[s] = 1; order[++ns] = s }
		if (v == "n/a") { val[s, f] = "n/a"; w = s ": " note
			if (w in why) why[w] = why[w] ", " f; else why[w] = f; next }
		if (v ~ /^-?[0-9]+$/) { sum[s, f] += v; n[s, f]++; val[s, f] = "" } else val[s, f] = v
	}
	function table(F, H, nf,   i, k, s, c) {
		printf "%-16s", "system"
		for (i = 1; i <= nf; i++) printf " %7s", H[i]
		print ""
		for (k = 1; k <= ns; k++) {
			s = order[k]; printf "%-16s", s
			for (i = 1; i <= nf; i++) {
				c = cell(s, F[i])
				if (F[i] == "churn-moves" && (s, F[i]) in n)
					c = sprintf("%.0f", sum[s, F[i]] * 3600 / secs)
				if (F[i] == "util")
					c = (s in nu) ? sprintf("%.3f", u[s] / nu[s]) : "-"
				printf " %7s", c
			}
			print ""
		}
	}
	function cell(s, f) {
		if ((s, f) in n) return (n[s, f] > 1 ? sprintf("%.1f", sum[s, f] / n[s, f]) : sum[s, f])
		return ((s, f) in val) ? val[s, f] : "-"
	}
	END {
		n1 = split("failover-tx failover-rx failback-tx failback-rx failover-dups reorder dup-broadcast dup-flooded own-frames-back bridge-poisoned", F1, " ")
		split("fo-tx fo-rx fb-tx fb-rx fo-dup reord dupbc dupfl own poison", H1, " ")
		n2 = split("fdb-follows moved-lost migration-lost migration-poisoned spoof-from-server spoof-to-server churn-moves util insn", F2, " ")
		split("fdb mvlost miglost migpois spf-in spf-out mv/h util/opt insn/fr", H2, " ")
		table(F1, H1, n1)
		print ""
		table(F2, H2, n2)
		print ""
		print "n/a (system: reason: figures):"
		for (k = 1; k <= ns; k++)
			for (w in why)
				if (index(w, order[k] ": ") == 1) print "  " w ": " why[w]
	}' "$OUT/util.csv" "$OUT/peers.csv"
	cat <<-EOF

	Columns (frames lost are at 2000 frames/s, mean over the rounds):
	  fo-tx, fo-rx   frames lost when the link carrying a VM's stream (tx) or
	                 the server's broadcasts (rx) loses carrier
	  fb-tx, fb-rx   the same when that link comes back
	  fo-dup         frames of those streams received twice (mean per trial)
	  reord          frames the server saw out of order when a 1000 frames/s
	                 VoIP-like VM was moved 3 times each way, first link's
	                 queue 20 ms deep
	  dupbc, dupfl   copies beyond one a VM got of 200 broadcasts / of 200
	                 frames to a MAC the switch floods
	  own            of a VM's 200 broadcasts, copies handed back to it
	  poison         the host bridge then had that VM behind the bond
	  fdb            after a quiet VM was moved, the switch had it on the
	                 new link (announcement)
	  mvlost         of 200 frames the server then sent it, lost
	  miglost        of 200 frames to a VM that just migrated in (its RARPs
	                 only), lost; migpois: the host bridge put it behind
	                 the bond
	  spf-in/out     after a VM sent 40 frames with the server's MAC: of 200
	                 frames from the server to another VM, received; of 200
	                 from that VM to the server, received
	  mv/h           MAC (bucket or hash) moves per hour in the churn run
	  util/opt       busiest link's share of each second's traffic over the
	                 best share the VMs' rates allow, mean over the run
	                 (1.000 = optimal; 2 links)
	  insn/fr        instructions per frame from a VM's port to the server,
	                 whole path (QEMU -icount, pktgen, 128 source MACs)
	EOF
} >"$OUT/table.txt"

if command -v gnuplot >/dev/null && [ -s "$OUT/util.csv" ]; then
	systems=$(awk -F, 'NR > 1 && !s[$1]++ { print $1 }' "$OUT/util.csv")
	n=$(wc -w <<<"$systems")
	{
		echo "set terminal pngcairo size 900,$((170 * n + 60)) noenhanced"
		echo "set output '$OUT/util.png'"
		echo "set datafile separator ','"
		echo "set multiplot layout $n,1 title 'share of the traffic per link, churn run ($KVER)'"
		echo "set yrange [-0.05:1.05]"
		echo "set key outside right"
		for s in $systems; do
			echo "set title '$s'"
			echo "plot \"< awk -F, '\$1 == \\\"$s\\\" && \$3 + \$4 > 0' $OUT/util.csv\" using 2:(\$3/(\$3+\$4)) with lines title 'eth0', \\"
			echo "     '' using 2:(\$4/(\$3+\$4)) with lines title 'eth1', \\"
			echo "     '' using 2:5 with lines dashtype 2 title 'optimum (busiest)'"
		done
		echo "unset multiplot"
	} | gnuplot || echo "bench-peers: gnuplot failed, no plot" >&2
fi
cat "$OUT/table.txt"
