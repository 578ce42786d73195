#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# No only copy lost for a VM that says nothing.  vm0 sits on the slave that
# is not the receive slave, and the switch knows it there; vm0 and the
# server have static neighbour entries and vm0 has no IPv6, so nothing is
# sent from vm0.  After bond0 goes down and up (how slb_mac_table_size is
# changed) the bond knows none of its MACs: the server's 200 frames to vm0
# must all arrive, none twice.  Then the switch forgets vm0 and floods the
# next 200 to both slaves: again each exactly once.
#
#   vm0 (silent)
#     |
#   hbr0 -- bond0 -- eth0 -- swp0 --\
#                \-- eth1 -- swp1 --- sw -- srv
#             (vm0's bucket, and the switch's entry for vm0)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
in_ns vm0 sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"
VM0=$(vm_mac 0)
must ping_tries vm0 "$SRV_IP4"
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
other=eth1
[ "$rx" = eth1 ] && other=eth0
port=${other/eth/swp}
if [ "$(slb_slave_of "$VM0")" != "$other" ]; then
	must sh -c "echo '$VM0 $other' >$SYS/slb_migrate"
	must wait_for -t 3 slb_settled "$VM0" "$other"
fi
must ns_ping vm0 "$SRV_IP4"
must ip -n srv neigh replace "$(vm_ip4 0)" lladdr "$VM0" dev srv0 nud permanent
must ip -n vm0 neigh replace "$SRV_IP4" lladdr "$SRV_MAC" dev vm0 nud permanent
must wait_for -t 3 sh -c "bridge -n sw fdb show br br0 | grep -qi '^$VM0 dev $port'"
log "vm0 on $other (receive slave $rx); the switch has it on $port"

# trial NAME: 200 frames from the server to vm0, counted at vm0
trial() {
	must listen_bg /tmp/silent.out vm0 vm0 -t $((30 * SLB_SLOW))
	in_ns srv slbgen send srv0 -s "$SRV_MAC" -d "$VM0" -c 200 -r 200 >/dev/null
	sleep 1
	stop_bg $LISTEN_PID
	got=$(awk -v m="${SRV_MAC,,}" 'tolower($2) == m { s += $4 - $7; d += $7 } END { print s + 0, d + 0 }' /tmp/silent.out)
	read -r frames dups <<<"$got"
	check_eq "$1: all 200 frames reach vm0" "$frames" 200
	check_eq "$1: none twice" "$dups" 0
}

must ip link set bond0 down
must ip link set bond0 up
must wait_for -t 5 grep -q "^Broadcast/multicast receive slave: eth" /proc/net/bonding/bond0
trial "after bond0 down and up"
check "vm0 sent nothing meanwhile: the bond does not know it" \
	test -z "$(slb_line "$VM0")"

must bridge -n sw fdb del "$VM0" dev "$port" master 2>/dev/null
must ip link set bond0 down
must ip link set bond0 up
must wait_for -t 5 grep -q "^Broadcast/multicast receive slave: eth" /proc/net/bonding/bond0
bridge -n sw fdb show br br0 | grep -qi "^$VM0 dev" && log "the switch still has vm0"
trial "flooded by the switch to both slaves"
end_test
