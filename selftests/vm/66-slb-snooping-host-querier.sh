#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The general queries balance-slb makes when its receive slave changes do
# not disturb a snooping host bridge.  Here the host bridge is the querier
# (mcast_snooping 1, mcast_querier 1, every 2 s): after the change it still
# queries, and it takes bond0 for no multicast router port.  With a
# querier behind the switch instead, our query is made as if from that
# querier (its MAC), so nobody's election changes.
#
#   vm0 -- hbr0 (snooping, querier) -- bond0 -- eth0/eth1 -- switch -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
# the intervals first: the querier starts with the ones it finds
must ip link set hbr0 type bridge mcast_query_interval 200 \
	mcast_query_response_interval 100 mcast_startup_query_interval 200
must ip link set hbr0 type bridge mcast_snooping 1 mcast_querier 1
HBR=$(cat /sys/class/net/hbr0/address)
rx_slave() { sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0; }

# host_queries SECS: IGMP frames from the host bridge at the switch
host_queries() {
	must listen_bg /tmp/hq.out sw swp0,swp1 -t 600 -e 0x0800
	sleep "$1"
	stop_bg $LISTEN_PID
	awk -v m="$HBR" '$2 == m { s += $4 } END { print s + 0 }' /tmp/hq.out
}
n=$(host_queries 5)
check "the host bridge queries through bond0 ($n in 5 s)" test "$n" -ge 1
q0=$(proc_val "General queries sent to VMs")
rx=$(rx_slave)
other=eth0
[ "$rx" = eth0 ] && other=eth1
must sh -c "echo $other >$SYS/primary"
check "receive slave moved to $other" wait_for -t 3 sh -c "[ \"\$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)\" = $other ]"
sleep 2.5
check "the IPv6 general query was still sent (no IPv6 querier)" \
	test "$(proc_val "General queries sent to VMs")" -gt "$q0"
n=$(host_queries 5)
check "the host bridge still queries afterwards ($n in 5 s)" test "$n" -ge 1
check_fail "the host bridge took bond0 for no router port" \
	sh -c "bridge mdb show dev hbr0 | grep -q 'router ports on hbr0:.*bond0'"

# a querier behind the switch: our query carries its MAC
cleanup_topo
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
must ip link set hbr0 type bridge mcast_snooping 1
ipb sw <<-EOF2
	link set br0 type bridge mcast_snooping 1 mcast_querier 1 mcast_query_interval 100000 mcast_startup_query_count 2 mcast_startup_query_interval 100 mcast_query_response_interval 100 mcast_stats_enabled 1
EOF2
SWQ=$(ip -n sw link show br0 | awk '/link\/ether/ { print $2 }')
# both startup queries out towards us, however slow the kernel: until the
# bond has seen the switch's querier, our query rightly speaks for nobody
sw_queried() {	# PORT N: the switch sent N IGMP queries out of PORT
	[ "$(ip -n sw link xstats type bridge_slave dev "$1" |
		awk '/IGMP queries:/ { q = 1; next } q && /TX:/ { print $3 + $5 + $7; exit }')" -ge "$2" ]
}
for p in swp0 swp1; do
	must wait_for -t $((10 * SLB_SLOW)) sw_queried $p 2
done
sleep 0.5
rx=$(rx_slave)
other=eth0
[ "$rx" = eth0 ] && other=eth1
must listen_bg /tmp/vq.out vm0 vm0 -t 600 -e 0x0800
pid=$LISTEN_PID
must sh -c "echo $other >$SYS/primary"
sleep 3
stop_bg $pid
n=$(awk -v m="$SWQ" '$2 == m { s += $4 } END { print s + 0 }' /tmp/vq.out)
mine=$(awk -v m="$(proc_val "Source MAC of multicast reports")" '$2 == m { s += $4 } END { print s + 0 }' /tmp/vq.out)
check "vm0 got our IGMP query as from the switch's querier $SWQ ($n)" test "$n" -ge 1
check_eq "and none from our report MAC" "$mine" 0
end_test
