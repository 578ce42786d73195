#!/bin/bash
# Harness check of the VLAN helpers with an upstream active-backup bond (no
# LAG needed on the switch): VMs as access ports in VLAN 100 on a
# VLAN-aware host bridge, the bond trunking VLAN 100 tagged to the switch;
# then a bond0.100 sub-interface on the host talking to the server.
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "$0")/../lib.sh"

VID=100

load_bonding
topo_switch 2
topo_bond bond0 active-backup miimon 100
topo_vms_vlan 2 $VID
count_flower swp0 tagged protocol 802.1Q vlan_id $VID
count_flower swp1 tagged protocol 802.1Q vlan_id $VID
count_flower swp0 untagged-vm0 protocol ip src_mac "$(vm_mac 0)" # untagged IPv4 only
count_flower swp1 untagged-vm0 protocol ip src_mac "$(vm_mac 0)"

wait_for -t 10 grep -qx up /sys/class/net/bond0/operstate || die "bond0 not up"
check "vm0 reaches the server through VLAN $VID" ns_ping vm0 "$SRV_IP4"
check "vm1 reaches the server through VLAN $VID (IPv6)" ns_ping vm1 "$SRV_IP6"
tagged=$(($(flower_count swp0 tagged) + $(flower_count swp1 tagged)))
log "tagged frames into the switch: $tagged"
check "frames reach the switch tagged $VID" test "$tagged" -ge 6
check_eq "no untagged vm0 frames reach the switch" \
	"$(($(flower_count swp0 untagged-vm0) + $(flower_count swp1 untagged-vm0)))" 0

# second topology: bond0.100 on the host itself
cleanup_topo
topo_switch 2
topo_bond bond0 active-backup miimon 100
switch_vlan $VID
topo_bond_vlan bond0 $VID 192.0.2.100/24 2001:db8::100/64
wait_for -t 10 grep -qx up /sys/class/net/bond0/operstate || die "bond0 not up"
check "bond0.$VID reaches the server" ping -n -q -c 3 -i 0.2 -W 2 "$SRV_IP4"
check "bond0.$VID reaches the server (IPv6)" ping -n -q -c 3 -i 0.2 -W 2 "$SRV_IP6"

end_test
