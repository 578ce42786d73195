#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Traffic from several VMs behind a host bridge crosses a balance-slb bond
# to a server and back; each VM's MAC leaves through exactly one slave and
# keeps using it.
source "$(dirname "$0")/../lib.sh"

N=6
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
topo_vms $N
macs=()
for ((k = 0; k < N; k++)); do macs+=("$(vm_mac $k)"); done
count_mac_all "${macs[@]}"

for round in 1 2; do
	for ((k = 0; k < N; k++)); do
		check "round $round: vm$k pings server (IPv4)" ns_ping vm$k $SRV_IP4 3
		check "round $round: vm$k pings server (IPv6)" ns_ping vm$k $SRV_IP6 3
	done
	for ((k = 0; k < N; k++)); do
		ports=$(mac_ports "${macs[k]}")
		check_eq "round $round: vm$k seen on one switch port" "$(echo "$ports" | wc -w)" 1
		[ $round = 1 ] && first[k]=$ports
		[ $round = 2 ] && check_eq "vm$k stays on its port" "$ports" "${first[k]}"
	done
done
check "server reaches vm0 (switch learned it)" in_ns srv ping -c 2 -i 0.2 -W 2 -q "$(vm_ip4 0)"
end_test
