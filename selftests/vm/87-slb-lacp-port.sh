#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A switch port configured as a LAG/LACP group silently breaks SLB: when a
# slave receives LACPDUs, balance-slb warns once per slave, naming it and
# what to change, and shows it in /proc; the flag clears when the LACPDUs
# stop.  Frames are still handled.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

lacp_line() { grep -A12 "^Slave Interface: $1" /proc/net/bonding/bond0 |
	sed -n 's/^SLB switch port in a LAG (LACPDUs received): //p'; }

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
check_eq "eth0 not flagged before" "$(lacp_line eth0)" no
dmesg -c >/dev/null
# the switch bundles both ports with LACP (fast rate: one LACPDU a second)
must ip -n sw link set swp0 nomaster
must ip -n sw link set swp1 nomaster
must ip -n sw link add swlag type bond mode 802.3ad lacp_rate fast miimon 50
must ip -n sw link set swp0 down
must ip -n sw link set swp1 down
must ip -n sw link set swp0 master swlag
must ip -n sw link set swp1 master swlag
must ip -n sw link set swlag master br0
must ip -n sw link set swlag up
check "eth0 flagged in /proc" wait_for -t 8 sh -c "[ \"\$(grep -A12 '^Slave Interface: eth0' /proc/net/bonding/bond0 | grep -c 'LACPDUs received): yes')\" = 1 ]"
check "eth1 flagged in /proc" wait_for -t 8 sh -c "[ \"\$(grep -A12 '^Slave Interface: eth1' /proc/net/bonding/bond0 | grep -c 'LACPDUs received): yes')\" = 1 ]"
rx0=$(cat /sys/class/net/bond0/statistics/rx_packets)
sleep 4	# several more LACPDUs
rx1=$(cat /sys/class/net/bond0/statistics/rx_packets)
# nothing else is sent to the bond here: the LACPDUs still go up through it
check "frames still handled: bond0 received $((rx1 - rx0)) in 4 s (>= 4)" \
	test $((rx1 - rx0)) -ge 4
for s in eth0 eth1; do
	n=$(dmesg | grep -c "(slave $s): balance-slb: receiving LACPDUs")
	check_eq "one warning for $s despite many LACPDUs" "$n" 1
done
check "warning says what to change" sh -c "dmesg | grep -q 'remove the port from the group on the switch'"
check_eq "bond0 still in balance-slb" "$(cat /sys/class/net/bond0/bonding/mode)" "balance-slb 7"
# LACP off on the switch: flags clear after three fast periods
must ip -n sw link del swlag
check "eth0 flag clears when LACPDUs stop" wait_for -t 10 sh -c "grep -A12 '^Slave Interface: eth0' /proc/net/bonding/bond0 | grep -q 'LACPDUs received): no'"
check "eth1 flag clears when LACPDUs stop" wait_for -t 5 sh -c "grep -A12 '^Slave Interface: eth1' /proc/net/bonding/bond0 | grep -q 'LACPDUs received): no'"
for s in eth0 eth1; do
	check "clearing is logged for $s" sh -c "dmesg | grep -q '(slave $s): balance-slb: no more LACPDUs'"
done
end_test
