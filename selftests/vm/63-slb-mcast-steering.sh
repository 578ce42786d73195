#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Multicast report steering.  The switch snoops IGMP (and is the querier,
# but queries only every 1000 s); the host bridge snoops too.  vm0's MAC
# is placed on the slave that does NOT accept multicast, then vm0 joins
# 239.1.2.3: its report must leave through the receive slave, or the
# switch sends the group where balance-slb drops it.  Each change of the
# receive slave (primary changes, a cable pull) must bring the group's
# traffic back at once: balance-slb queries the VMs, and their reports
# leave through the new receive slave.  Stale memberships are deleted
# from the switch before each change, so only a new report can help.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

GRP=239.1.2.3
SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
ipb sw <<-EOF2
	link set br0 type bridge mcast_snooping 1 mcast_querier 1 mcast_query_interval 100000 mcast_startup_query_count 1 mcast_startup_query_interval 100000 mcast_query_response_interval 100
EOF2
topo_bond bond0 balance-slb miimon 50
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
must ip link set hbr0 type bridge mcast_snooping 1
must ip -n srv route add 224.0.0.0/4 dev srv0
in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
VM0=$(vm_mac 0)
ns_ping vm0 "$SRV_IP4" >/dev/null
rx_slave() { sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0; }
rx=$(rx_slave)
other=eth0
[ "$rx" = eth0 ] && other=eth1
must sh -c "echo '$VM0 $other' >$SYS/slb_migrate"
wait_for -t 3 slb_settled "$VM0" "$other" || die "vm0 not on $other"
log "receive slave $rx, vm0's MAC on $other"

# group traffic: 20 pings to the group from the server, counted at vm0
group_frames() {
	in_ns vm0 slbgen recv vm0 -t 3.5 -e 0x0800 >/tmp/grp.out 2>/dev/null &
	local pid=$!
	sleep 0.3
	in_ns srv ping -q -c 20 -i 0.1 -W 1 -I srv0 $GRP >/dev/null 2>&1
	wait $pid
	awk -v m=$SRV_MAC 'tolower($2) == tolower(m) { s += $4 } END { print s + 0 }' /tmp/grp.out
}
forget_group() { bridge -n sw mdb del dev br0 port "$1" grp $GRP 2>/dev/null || true; }
ports_with_group() { bridge -n sw mdb show dev br0 | awk -v g=$GRP '$0 ~ g { for (i = 1; i < NF; i++) if ($i == "port") print $(i + 1) }' | sort -u | tr '\n' ' '; }

# test bed: the switch floods the group until it counts as querier (one
# response time after its first query); then unregistered groups stop
for i in 1 2 3 4 5; do
	n=$(group_frames)
	[ "$n" = 0 ] && break
done
[ "$n" = 0 ] || die "the switch keeps flooding the unjoined group"
pass "before the join vm0 gets no group traffic"
must ip -n vm0 addr add $GRP/32 dev vm0 autojoin
sleep 1
log "switch ports with the group: $(ports_with_group)"
check "report went through the receive slave ($rx): switch has the group on sw${rx/eth/p}" \
	sh -c "bridge -n sw mdb show dev br0 | grep -q 'port sw${rx/eth/p} grp $GRP'"
check_eq "no membership on vm0's own port sw${other/eth/p}" \
	"$(bridge -n sw mdb show dev br0 | grep -c "port sw${other/eth/p} grp $GRP")" 0
n=$(group_frames)
check_eq "after the join vm0 gets all 20 group frames" "$n" 20
check "reports counted" test "$(proc_val "Multicast reports sent via receive slave")" -gt 0

# change_rx HOW: make the other slave the receive slave, drop what the
# switch knew, check the group's traffic follows at once
round=0
change_rx() {
	local old new q0 mld
	old=$(rx_slave)
	round=$((round + 1))
	forget_group "sw${old/eth/p}"
	forget_group "sw${old/eth/p}"	# IGMPv3 may have two entries
	q0=$(proc_val "General queries sent to VMs")
	in_ns sw slbgen recv swp0,swp1 -t 2.5 -e 0x86dd >/tmp/mld.out 2>/dev/null &
	local pid=$!
	sleep 0.3
	"$@"
	wait_for -t 3 sh -c "[ \"\$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)\" != $old ]"
	new=$(rx_slave)
	wait $pid
	check "round $round ($*): receive slave moved ($old -> $new)" test "$new" != "$old"
	check "round $round: queries sent to the VMs" \
		test "$(proc_val "General queries sent to VMs")" -gt "$q0"
	check "round $round: switch learned the group on sw${new/eth/p}" \
		wait_for -t 3 sh -c "bridge -n sw mdb show dev br0 | grep -q 'port sw${new/eth/p} grp $GRP'"
	mld=$(awk -v m="$(proc_val "Source MAC of multicast reports")" -v p="sw${new/eth/p}" \
		'$1 == p && tolower($2) == tolower(m) { s += $4 } END { print s + 0 }' /tmp/mld.out)
	check "round $round: MLD reports answered our query via sw${new/eth/p} ($mld)" test "$mld" -gt 0
	n=$(group_frames)
	check_eq "round $round: vm0 gets all 20 group frames, once each" "$n" 20
	forget_group "sw${old/eth/p}"
}
change_rx sh -c "echo $other >$SYS/primary"
change_rx sh -c "echo $rx >$SYS/primary"
change_rx sh -c "echo $other >$SYS/primary"
# a cable pull on the receive slave
cur=$(rx_slave)
change_rx ip -n sw link set "sw${cur/eth/p}" down
end_test
