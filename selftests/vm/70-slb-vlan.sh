#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb with VLANs: the bucket key includes the VLAN, and moved MACs
# are announced tagged with their VLAN, for a VLAN-aware host bridge and
# for a bond.<vid> sub-interface, and for frames that carry their tag
# in-band.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

MIG=/sys/class/net/bond0/bonding/slb_migrate

# move_and_catch MAC VID LABEL: migrate MAC's bucket (VLAN VID) to the
# other slave and check a RARP for it, tagged VID, appears on that port
move_and_catch() {
	local mac=$1 vid=$2 s to
	s=$(slb_slave_of "$mac" "$vid")
	check "debugfs lists $3 as $mac/$vid (on $s)" test -n "$s"
	to=eth0
	[ "$s" = eth0 ] && to=eth1
	in_ns sw slbgen recv "swp${to#eth}" -t 3 -e 0x8035 >/tmp/ann.out 2>/dev/null &
	local pid=$!
	sleep 0.3
	check "migrate $3 vlan $vid to $to" sh -c "echo '$mac $vid $to' >$MIG"
	wait $pid
	check "RARP for $3 on swp${to#eth} tagged $vid" \
		sh -c "grep -qi '^swp${to#eth} $mac $vid [1-9]' /tmp/ann.out"
	MOVED_TO=swp${to#eth}
}

# (a) VLAN-aware host bridge, VMs in VLAN 10
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
topo_vms_vlan 2 10
check "vm0 reaches the server over VLAN 10" ns_ping vm0 $SRV_IP4 3
VM0=$(vm_mac 0)
move_and_catch "$VM0" 10 vm0
check "switch FDB: vm0 in VLAN 10 on $MOVED_TO" \
	sh -c "bridge -n sw fdb show br br0 | grep -i '^$VM0 dev $MOVED_TO vlan 10'"
check "vm0 still reaches the server" ns_ping vm0 $SRV_IP4 3
cleanup_topo

# (b) bond.20 sub-interface with the host's own address
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
switch_vlan 20
topo_bond_vlan bond0 20 192.0.2.100/24
check "host reaches the server over bond0.20" \
	sh -c "ping -c 3 -i 0.2 -W 2 -q $SRV_IP4 >/dev/null"
BM=$(cat /sys/class/net/bond0/address)
# the host's own MAC, announced as any other (a RARP)
move_and_catch "$BM" 20 "the bond MAC"
check "host still reaches the server" sh -c "ping -c 3 -i 0.2 -W 2 -q $SRV_IP4 >/dev/null"

# (c) a tag in the frame itself (a packet socket on the bond; bridges and
# VLAN devices hand the tag over out of band): the key takes its VLAN ID
IB=02:5c:00:00:00:01
slbgen send bond0 -s $IB -d $SRV_MAC -v 30 -c 5 >/dev/null
check "in-band tag: debugfs lists $IB in VLAN 30" test -n "$(slb_slave_of $IB 30)"
check "in-band tag: not keyed as untagged" test -z "$(slb_slave_of $IB 0)"
end_test
