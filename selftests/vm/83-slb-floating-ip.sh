#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# An announcement asserts no address.  vm0 holds a floating IP (VIP) and
# announces it, as keepalived does; the VIP moves to ext, a host behind
# the switch, which announces it; the server's ARP entry follows.  vm1
# claims ext's own address once (a gratuitous ARP) and goes quiet; ext
# announces itself again.  Then the buckets of vm0 and vm1 move: the
# server's entries for both addresses must still point at ext, and the
# server must reach them.
#
#   vm0 (VIP, then not)  vm1 (claims ext's address once)
#            \            /
#             hbr0 -- bond0 -- eth0/eth1 -- sw -- srv
#                                            \--- ext (VIP, EXT_IP)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
VIP=192.0.2.200
EXT_IP=192.0.2.201
EXT_MAC=02:00:00:00:0e:0e
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
topo_vms 2
VM0=$(vm_mac 0)
VM1=$(vm_mac 1)
ns_add ext
must ip -n ext link add ext0 address $EXT_MAC type veth peer name swext netns sw
ipb ext <<-EOF
	addr add $EXT_IP/24 dev ext0
	link set ext0 up
EOF
must ip -n sw link set swext master br0 up
must ping_tries vm0 "$SRV_IP4"
must ping_tries vm1 "$SRV_IP4"
must in_ns ext ping -c 1 -W 2 -q "$SRV_IP4" >/dev/null

srv_mac_of() { ip -n srv neigh show "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }

# the VIP on vm0, announced; the server uses it
must ip -n vm0 addr add $VIP/24 dev vm0
must in_ns vm0 slbgen announce vm0 "$VM0" $VIP
must ns_ping srv $VIP
check_eq "the server has the VIP at vm0" "$(srv_mac_of $VIP)" "${VM0,,}"
# the VIP moves to ext
must ip -n vm0 addr del $VIP/24 dev vm0
must ip -n ext addr add $VIP/24 dev ext0
must in_ns ext slbgen announce ext0 $EXT_MAC $VIP
must wait_for -t 3 sh -c "[ \"\$(ip -n srv neigh show $VIP | grep -o -i '$EXT_MAC')\" ]"
must ns_ping srv $VIP
# vm1 claims ext's address once, ext answers for itself
must ns_ping srv $EXT_IP
must in_ns vm1 slbgen announce vm1 "$VM1" $EXT_IP
sleep 0.5
must in_ns ext slbgen announce ext0 $EXT_MAC $EXT_IP
must wait_for -t 3 sh -c "[ \"\$(ip -n srv neigh show $EXT_IP | grep -o -i '$EXT_MAC')\" ]"
log "before the moves: VIP at $(srv_mac_of $VIP), $EXT_IP at $(srv_mac_of $EXT_IP)"

ann0=$(proc_val "Announcements sent")
for m in "$VM0" "$VM1"; do
	s=$(slb_slave_of "$m")
	to=eth0
	[ "$s" = eth0 ] && to=eth1
	must sh -c "echo '$m $to' >$SYS/slb_migrate"
	must wait_for -t 3 slb_settled "$m" "$to"
done
must wait_for -t 5 proc_at_least "Announcements sent" $((ann0 + 2))
sleep 1
log "after the moves: VIP at $(srv_mac_of $VIP), $EXT_IP at $(srv_mac_of $EXT_IP), $(($(proc_val "Announcements sent") - ann0)) announcements"
check_eq "the server still has the VIP at ext" "$(srv_mac_of $VIP)" "${EXT_MAC,,}"
check_eq "the server still has ext's address at ext" "$(srv_mac_of $EXT_IP)" "${EXT_MAC,,}"
check "the server reaches the VIP" ns_ping srv $VIP
check "the server reaches ext" ns_ping srv $EXT_IP
end_test
