#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb failover: when a slave loses carrier under traffic, only its
# MACs move, they are announced on the survivor at once, loss is bounded;
# when it returns it takes load again within seconds, even with
# slb_rebalance_interval 0.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

BASE=02:50:00:00:00:00
N=16
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
topo_vms 0
gen_add
in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
gen_send -s $BASE -n $N -c $((N * 2)) -r 500 -d $SRV_MAC >/dev/null
declare -A before
on1=0
for ((i = 0; i < N; i++)); do
	m=$(gen_mac $BASE $i)
	before[$m]=$(slb_slave_of $m)
	[ "${before[$m]}" = eth1 ] && on1=$((on1 + 1))
done
log "$on1 of $N MACs on eth1"
[ $on1 -gt 0 ] && [ $on1 -lt $N ] || die "MACs not spread over both slaves"

# 1000 frames/s over all MACs for 6 s; cable pull on swp1 after 2 s
# (the receivers run until the sender is done: a slow kernel takes longer)
sw_recv 120
in_ns sw slbgen recv swp0 -t 120 -e 0x8035 >/tmp/rarp.out 2>/dev/null &
rarp_pid=$!
in_ns gen slbgen send gen0 -s $BASE -n $N -c 6000 -r 1000 -d $SRV_MAC >/dev/null &
send_pid=$!
SLB_PIDS+=($send_pid)
sleep 2
must ip -n sw link set swp1 down
wait $send_pid
sleep 0.5
sw_recv_stop
ann=$SLB_RECV
stop_bg $rarp_pid
rarp=$(cat /tmp/rarp.out)

for ((i = 0; i < N; i++)); do
	m=$(gen_mac $BASE $i)
	now=$(slb_slave_of $m)
	if [ "${before[$m]}" = eth0 ]; then
		check_eq "$m on healthy eth0 did not move" "$now" eth0
	else
		check_eq "$m moved from failed eth1 to eth0" "$now" eth0
		check "$m announced on swp0 (RARP)" sh -c "echo '$rarp' | grep -qi '^swp0 $m 0 [1-9]'"
		check "switch FDB has $m on swp0" sh -c "bridge -n sw fdb show br br0 | grep -qi '^$m dev swp0'"
	fi
done
lost=$((6000 - $(echo "$ann" | awk '$1 == "total" { print $2 }')))
log "failover: $lost of 6000 frames lost"
# miimon 50 ms at 1000 frames/s: a generous bound, the benchmark measures
check "failover loss bounded ($lost < 600)" test $lost -lt 600
check "announcements counted" test "$(proc_val "Announcements sent")" -ge $on1

# failback with interval 0: eth1 takes load again within seconds
in_ns gen slbgen send gen0 -s $BASE -n $N -c 0 -t 20 -r 1000 -l 500 -d $SRV_MAC >/dev/null &
SLB_PIDS+=($!)
sleep 2
must ip -n sw link set swp1 up
check "failback: eth1 holds buckets again within 12 s" \
	wait_for -t 12 sh -c "grep -q ' eth1 ' $SLB_DBG/bond0/slb_buckets"
sleep 2
moved_back=$(grep -c ' eth1 ' $SLB_DBG/bond0/slb_buckets)
log "failback: $moved_back buckets on eth1"
check "failback moves bounded (<= 8 per run)" test "$moved_back" -le 80
end_test
