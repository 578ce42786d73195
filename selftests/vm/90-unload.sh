#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bonds in every mode, with traffic, are deleted and the module unloads
# cleanly (the harness fails the run on any kernel warning).
source "$(dirname "$0")/../lib.sh"

load_bonding
topo_switch 2
for mode in balance-rr active-backup balance-xor broadcast 802.3ad \
	    balance-tlb balance-alb balance-slb; do
	topo_bond bu "$mode"
	must ip addr add 192.0.2.200/24 dev bu
	ping -c 2 -i 0.2 -W 1 -q $SRV_IP4 >/dev/null 2>&1
	cat /proc/net/bonding/bu >/dev/null
	must ip link del bu
done
topo_bond bu balance-slb
ip link add bv type bond
echo balance-slb >/sys/class/net/bv/bonding/mode
check "rmmod with bonds still present" modprobe -r bonding
check "module gone" sh -c '! test -d /sys/module/bonding'
check "bond devices gone" sh -c '! test -e /sys/class/net/bu && ! test -e /sys/class/net/bv'
end_test
