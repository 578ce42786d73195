#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb rebalancing: with slb_rebalance_interval 0 nothing moves;
# with an interval, load moves from the busy slave to the idle one, the
# moved MAC is announced on its new port and the switch's FDB follows;
# once balanced nothing moves; slb_migrate moves a MAC by hand.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

slb_two_vms 02:40:00:00:00 0

# steady traffic from both MACs, ~2.4 Mbit/s each
in_ns gen slbgen send gen0 -s $A -n 2 -c 0 -t 40 -r 600 -l 1000 -d $SRV_MAC >/dev/null &
SLB_PIDS+=($!)
sleep 1
# B is A+k, not A+1: run a second sender for B when it is not adjacent
if [ "$B" != "$(gen_mac $A 1)" ]; then
	in_ns gen slbgen send gen0 -s $B -c 0 -t 40 -r 300 -l 1000 -d $SRV_MAC >/dev/null &
	SLB_PIDS+=($!)
fi

moves0=$(proc_val "Total moves")
sleep 5
check_eq "interval 0: no move in 5 s" "$(proc_val "Total moves")" "$moves0"
check_eq "interval 0: A still on eth0" "$(slb_slave_of $A)" eth0
check_eq "interval 0: B still on eth0" "$(slb_slave_of $B)" eth0

# capture announcements (RARP: these MACs never sent ARP) while enabling
sw_recv 8 -e 0x8035
echo 1000 >$IV
check_eq "interval reads back" "$(cat $IV)" 1000
wait_for -t 8 sh -c "[ \"\$(grep -c ' eth1 ' $SLB_DBG/bond0/slb_buckets)\" -gt 0 ]"
sw_recv_wait
ann=$SLB_RECV
sa=$(slb_slave_of $A)
sb=$(slb_slave_of $B)
log "after rebalance: A on $sa, B on $sb"
check "one of A, B moved to eth1" test "$sa" = eth1 -o "$sb" = eth1
check "not both moved" test "$sa" = eth0 -o "$sb" = eth0
moved=$A
[ "$sb" = eth1 ] && moved=$B
check "moves counted" test "$(proc_val "Total moves")" -gt "$moves0"
check "announcements counted" test "$(proc_val "Announcements sent")" -gt 0
check "moved MAC $moved announced (RARP) on swp1" \
	sh -c "echo '$ann' | awk '\$1 == \"swp1\" && \$2 == \"$moved\" && \$4 > 0' | grep -q ."
check "switch FDB follows $moved to swp1" \
	sh -c "bridge -n sw fdb show br br0 | grep -i '^$moved dev swp1'"

# converged: no further moves
m1=$(proc_val "Total moves")
sleep 5
check_eq "balanced: no move in 5 intervals" "$(proc_val "Total moves")" "$m1"

# manual migrate back, with its announcement
echo 0 >$IV
sw_recv 3 -e 0x8035
check "slb_migrate $moved eth0" sh -c "echo '$moved eth0' >$MIG"
sw_recv_wait
ann=$SLB_RECV
check_eq "debugfs: $moved on eth0" "$(slb_slave_of $moved)" eth0
check "migrated MAC announced on swp0" \
	sh -c "echo '$ann' | awk '\$1 == \"swp0\" && \$2 == \"$moved\" && \$4 > 0' | grep -q ."
check "switch FDB follows $moved to swp0" \
	wait_for -t 3 sh -c "bridge -n sw fdb show br br0 | grep -i '^$moved dev swp0'"
check "slb_migrate with VLAN 0 form" sh -c "echo '$moved 0 eth1' >$MIG"
check_eq "debugfs: $moved on eth1" "$(slb_slave_of $moved)" eth1

# bad input: refused, nothing moves
m2=$(proc_val "Total moves")
for bad in "$moved" "zz:40:00:00:00:01 eth0" "$moved nosuch0" "$moved eth0 extra" \
	   "$moved 4095 eth0" "$moved -1 eth0" "" "$moved hbr0"; do
	check_fail "slb_migrate '$bad' refused" sh -c "echo '$bad' >$MIG"
done
check_eq "no move from refused input" "$(proc_val "Total moves")" "$m2"
must ip -n sw link set swp0 down
wait_for -t 3 sh -c "grep -A1 'Slave Interface: eth0' /proc/net/bonding/bond0 | grep -q 'MII Status: down'"
check_fail "slb_migrate to a down slave refused" sh -c "echo '$moved eth0' >$MIG"
end_test
