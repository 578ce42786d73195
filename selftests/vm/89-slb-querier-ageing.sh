#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The querier table gives slots back.  Outside queriers on 64 VLANs fill
# its 64 slots, then fall silent for longer than the other-querier interval
# (255 s).  A querier that appears afterwards, untagged, must be taken: at
# the next receive slave change our query to the VMs is made as if from
# it (its MAC), not from our report MAC as when nobody queries.
#
# 260 s of guest time: it runs only in a boot whose clock skips the
# guest's idle time (slb.timewarp=1, as tools/check.sh boots it).
#
#   vm0 -- hbr0 -- bond0 -- eth0/eth1 -- switch -- srv (the queriers:
#                                                  VLANs 1..64, then 0)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

grep -qw slb.timewarp=1 /proc/cmdline || skip "needs a time-warped boot (slb.timewarp=1)"
SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
in_ns vm0 sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"
must ns_ping vm0 "$SRV_IP4" 1
rx_slave() { sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0; }

# IPv4 (TTL 1, protocol 2, to 224.0.0.1) + IGMPv2 general query
QUERY=4500001c000040000102000000000000e0000001
QUERY+=1164000000000000
query() {	# VID (0: untagged)
	local v=()
	[ "$1" -eq 0 ] || v=(-v "$1")
	in_ns srv slbgen send srv0 -s "$SRV_MAC" -d 01:00:5e:00:00:01 -e 0x0800 \
		-x "$QUERY" -c 2 -r 100 "${v[@]}" >/dev/null
}
for ((vid = 1; vid <= 64; vid++)); do query $vid; done
# longer than the other-querier interval, in guest time
sleep 260
query 0
sleep 1

rx=$(rx_slave)
other=eth0
[ "$rx" = eth0 ] && other=eth1
must listen_bg /tmp/qa.out vm0 vm0 -t 600 -e 0x0800
must sh -c "echo $other >$SYS/primary"
sleep 3
stop_bg "$LISTEN_PID"
REPMAC=$(proc_val "Source MAC of multicast reports")
n=$(awk -v m="${SRV_MAC,,}" 'tolower($2) == m { s += $4 } END { print s + 0 }' /tmp/qa.out)
mine=$(awk -v m="${REPMAC,,}" 'tolower($2) == m { s += $4 } END { print s + 0 }' /tmp/qa.out)
log "queries at vm0 after the change: $n from the new querier, $mine from our report MAC"
check "vm0's query made as from the querier that came after the 64 ($n)" test "$n" -ge 1
check_eq "and none from our report MAC" "$mine" 0
end_test
