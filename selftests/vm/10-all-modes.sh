#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The rebuilt bonding.ko keeps every upstream mode and adds balance-slb:
# a bond in each mode is created, enslaves two links, comes up, reports its
# mode in sysfs and /proc, and is deleted again.
source "$(dirname "$0")/../lib.sh"

load_bonding
check "module is ours (version mentions slb)" \
	sh -c 'modinfo -F version bonding | grep -q slb'

declare -A NUM=([balance-rr]=0 [active-backup]=1 [balance-xor]=2 [broadcast]=3
		[802.3ad]=4 [balance-tlb]=5 [balance-alb]=6 [balance-slb]=7)
declare -A PROC=([balance-rr]="load balancing (round-robin)"
		 [active-backup]="fault-tolerance (active-backup)"
		 [balance-xor]="load balancing (xor)"
		 [broadcast]="fault-tolerance (broadcast)"
		 [802.3ad]="IEEE 802.3ad Dynamic link aggregation"
		 [balance-tlb]="transmit load balancing"
		 [balance-alb]="adaptive load balancing"
		 [balance-slb]="source load balancing (balance-slb)")

topo_switch 2
for mode in balance-rr active-backup balance-xor broadcast 802.3ad \
	    balance-tlb balance-alb balance-slb; do
	topo_bond bm "$mode"
	check_eq "$mode: sysfs mode" "$(cat /sys/class/net/bm/bonding/mode)" \
		"$mode ${NUM[$mode]}"
	check "$mode: /proc mode line" \
		grep -qx "Bonding Mode: ${PROC[$mode]}" /proc/net/bonding/bm
	check_eq "$mode: both slaves enslaved" \
		"$(cat /sys/class/net/bm/bonding/slaves)" "eth0 eth1"
	check "$mode: bond is up" sh -c 'ip link show bm | grep -q "state UP\|,UP"'
	must ip link del bm
done
end_test
