#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb is reachable through every interface admins know, and bad
# input is refused with an error and changes nothing.
source "$(dirname "$0")/../lib.sh"

mode_of() { cat "/sys/class/net/$1/bonding/mode"; }

# module parameter, by name and by number; ip link add inherits it
for m in balance-slb 7; do
	load_bonding max_bonds=1 mode=$m
	check_eq "modprobe mode=$m: bond0" "$(mode_of bond0)" "balance-slb 7"
	must ip link add bnew type bond
	check_eq "modprobe mode=$m: ip link add inherits" "$(mode_of bnew)" "balance-slb 7"
	must ip link del bnew
done
for m in 8 balance-slbx -1; do
	modprobe -r bonding 2>/dev/null
	check_fail "modprobe mode=$m refused" modprobe bonding max_bonds=0 mode=$m
done

load_bonding
must ip link add b1 type bond mode active-backup
echo balance-slb >/sys/class/net/b1/bonding/mode
check_eq "sysfs: active-backup -> balance-slb" "$(mode_of b1)" "balance-slb 7"
echo 2 >/sys/class/net/b1/bonding/mode
check_eq "sysfs: balance-slb -> 2" "$(mode_of b1)" "balance-xor 2"
echo 7 >/sys/class/net/b1/bonding/mode
check_eq "sysfs: 2 -> 7" "$(mode_of b1)" "balance-slb 7"
for bad in 8 99 -1 balance-slbx ""; do
	check_fail "sysfs mode '$bad' refused" sh -c "echo '$bad' >/sys/class/net/b1/bonding/mode"
	check_eq "mode unchanged after '$bad'" "$(mode_of b1)" "balance-slb 7"
done

# ARP monitoring is replaced by miimon when switching to balance-slb
must ip link add b2 type bond mode balance-xor arp_interval 200 arp_ip_target 192.0.2.1
echo balance-slb >/sys/class/net/b2/bonding/mode
check_eq "arp_interval cleared by balance-slb" "$(cat /sys/class/net/b2/bonding/arp_interval)" 0
check_eq "miimon enabled by balance-slb" "$(cat /sys/class/net/b2/bonding/miimon)" 100

# options that make no sense in balance-slb are refused, values unchanged
topo_switch 2
must ip link set eth0 master b1
must ip link set eth1 master b1
must ip link set b1 up
refuse() {	# option value
	local before
	before=$(cat "/sys/class/net/b1/bonding/$1" 2>/dev/null)
	check_fail "$1=$2 refused in balance-slb" sh -c "echo '$2' >/sys/class/net/b1/bonding/$1"
	check_eq "$1 unchanged" "$(cat "/sys/class/net/b1/bonding/$1" 2>/dev/null)" "$before"
}
refuse arp_interval 100
refuse arp_validate active
refuse arp_missed_max 3
refuse xmit_hash_policy layer3+4
refuse active_slave eth1
refuse tlb_dynamic_lb 0
refuse lacp_rate fast
refuse ad_select bandwidth
refuse packets_per_slave 3
check_fail "ip link set arp_interval refused" ip link set b1 type bond arp_interval 100
check_fail "ip link set xmit_hash_policy refused" ip link set b1 type bond xmit_hash_policy layer3+4
check_fail "mode change while up with slaves refused" \
	sh -c 'echo balance-xor >/sys/class/net/b1/bonding/mode'
check_eq "mode unchanged" "$(mode_of b1)" "balance-slb 7"
check "miimon still settable" sh -c 'echo 50 >/sys/class/net/b1/bonding/miimon'
check_eq "miimon set" "$(cat /sys/class/net/b1/bonding/miimon)" 50
check "/proc mode line" grep -qx "Bonding Mode: source load balancing (balance-slb)" /proc/net/bonding/b1
check "both slaves MII up in /proc" sh -c '[ "$(grep -c "^MII Status: up" /proc/net/bonding/b1)" = 3 ]'
must ip link del b1
must ip link del b2
end_test
