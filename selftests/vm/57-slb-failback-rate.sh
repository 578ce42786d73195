#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Failback is bounded as documented: when a slave comes back the
# rebalancer runs once a second for 10 s, at most 8 moves a run, even
# while its moves wait for a pause (the work then runs every 25 ms).
# 64 MACs stream without pauses (so moves wait), eth1 fails and comes
# back; the moves are counted every 0.25 s.
#
#   gen (64 MACs, 2000 frames/s, never idle 50 ms)
#      |
#   hbr0 -- bond0 -- eth0 -- swp0 --\
#                \-- eth1 -- swp1 --- sw -- srv
#                         (down, then up)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
gen_add
in_ns gen slbgen send gen0 -s 02:66:00:00:00:00 -n 64 -c 0 -t 40 -r 2000 -l 120 \
	-d "$SRV_MAC" >/dev/null &
SLB_PIDS+=("$!")
sleep 3
must ip -n sw link set swp1 down
must wait_for -t 5 sh -c "grep -A1 'Slave Interface: eth1' /proc/net/bonding/bond0 | grep -q 'MII Status: down'"
sleep 4
on0=$(awk '$2 == "eth0"' "$SLB_DBG/bond0/slb_buckets" | wc -l)
log "after the failover: $on0 buckets on eth0, $(awk '$2 == "eth1"' "$SLB_DBG/bond0/slb_buckets" | wc -l) on eth1"
m0=$(proc_val "Total moves")
must ip -n sw link set swp1 up
t0=$(cut -d" " -f1 /proc/uptime)
must wait_for -t 5 sh -c "[ \$(grep -c 'MII Status: up' /proc/net/bonding/bond0) -eq 3 ]"
# moves since eth1 came back, every 0.25 s for 8 s
: >/tmp/fb.moves
for ((i = 0; i < 32; i++)); do
	echo "$(awk -v a="$t0" -v b="$(cut -d" " -f1 /proc/uptime)" 'BEGIN { printf "%.2f", b - a }') $(($(proc_val "Total moves") - m0))" >>/tmp/fb.moves
	sleep 0.25
done
log "seconds since eth1's carrier came back, moves: $(tr '\n' ' ' </tmp/fb.moves)"
total=$(awk 'END { print $2 }' /tmp/fb.moves)
# the most moves in any 1 s window of the samples
peak=$(awk '{ t[NR] = $1; m[NR] = $2 } END {
	for (i = 1; i <= NR; i++)
		for (j = i; j <= NR && t[j] - t[i] <= 1.0; j++)
			if (m[j] - m[i - 1] > p) p = m[j] - m[i - 1]
	print p + 0 }' /tmp/fb.moves)
check "failback moved buckets back ($total moves)" test "$total" -gt 8
# two runs may fall into one window of the samples
check "at most 8 moves a run, one run a second: at most 16 in any second ($peak)" \
	test "$peak" -le 16
check "and spread over several seconds: at most $((8 * 3)) in the first 2 s" \
	awk -v lim=24 '$1 <= 2.0 { m = $2 } END { exit !(m <= lim) }' /tmp/fb.moves
end_test
