#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Link-local frames (LLDP, 802.1X) reach the protocol handlers bound to
# every slave, as on active-backup's inactive slaves, and reach the bond
# once: from the broadcast/multicast receive slave only.
#
#   lldpd/wpa_supplicant           sockets bound to 0x88cc / 0x888e
#      eth0     eth1     bond0     (not ETH_P_ALL: that taps before bonding)
#       |        |
#     swp0     swp1    <- each switch port sends its own LLDP/EAPOL
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
topo_vms 1

# link_local TYPE DEST NAME: 10 frames from each switch port
link_local() {
	local type=$1 dst=$2 name=$3 i got
	must listen_bg /tmp/ll-slaves.out - eth0,eth1 -b -e "$type" -t 60
	local p1=$LISTEN_PID
	must listen_bg /tmp/ll-bond.out - bond0 -b -e "$type" -t 60
	local p2=$LISTEN_PID
	for i in 0 1; do
		in_ns sw slbgen send "swp$i" -s "02:00:00:00:0c:0$i" -d "$dst" \
			-e "$type" -c 10 -r 50 >/dev/null &
	done
	wait $(jobs -p | grep -v "^$p1\$" | grep -v "^$p2\$")
	sleep 0.5
	stop_bg $p1
	stop_bg $p2
	for i in 0 1; do
		got=$(awk -v s="eth$i" -v m="02:00:00:00:0c:0$i" \
			'$1 == s && $2 == m { n += $4 } END { print n + 0 }' /tmp/ll-slaves.out)
		check_eq "$name: a socket bound to eth$i gets its 10 frames" "$got" 10
	done
	got=$(awk '$1 == "bond0" { n += $4 } END { print n + 0 }' /tmp/ll-bond.out)
	check_eq "$name: the bond gets one slave's 10, not both slaves' 20" "$got" 10
}
link_local 0x88cc 01:80:c2:00:00:0e LLDP
link_local 0x888e 01:80:c2:00:00:03 EAPOL
# and the same after the receive slave changed
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
other=eth0
[ "$rx" = eth0 ] && other=eth1
must sh -c "echo $other >/sys/class/net/bond0/bonding/primary"
check "receive slave becomes $other" wait_for -t 3 \
	grep -q "^Broadcast/multicast receive slave: $other" /proc/net/bonding/bond0
link_local 0x88cc 01:80:c2:00:00:0e "LLDP, receive slave $other"
end_test
