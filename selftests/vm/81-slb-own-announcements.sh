#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A VM's own announcements are not a migration away.  VMs whose very first
# frames are a RARP burst (QEMU after an incoming live migration: 5 frames
# 50-100 ms apart) or gratuitous ARPs (keepalived, arp_notify, arping -U):
# the switch floods them back to us, and they are dropped like any other
# reflection.  The host bridge keeps every VM on its own port all along,
# no migration is counted, local traffic works at once and the loop filter
# keeps covering the VMs.
#
#   vm0..vm5 (RARP)  vm6..vm11 (GARP)
#          \            /
#           hbr0 -- bond0 -- eth0/eth1 -- switch (floods) -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

N=12
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
must ip link add hbr0 type bridge mcast_snooping 0
SLB_LINKS+=(hbr0)
quiet_if hbr0
ipb <<<"link set bond0 master hbr0
link set hbr0 up"
# VMs that send nothing until told: no IPv6 (router solicitations, MLD)
for ((k = 0; k < N; k++)); do
	ns_add "vm$k"
	must ip netns exec "vm$k" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
	must ip link add "vh$k" type veth peer name "vm$k" address "$(vm_mac $k)" netns "vm$k"
	SLB_LINKS+=("vh$k")
	quiet_if "vh$k"
	ipb "vm$k" <<<"addr add $(vm_ip4 $k)/24 dev vm$k
link set vm$k up"
	must ip link set "vh$k" master hbr0 up
done
sleep 0.5
mig0=$(proc_val "VM migrations seen")
looped0=$(proc_val "Looped-back frames dropped")

# poll the host bridge's FDB while the VMs announce themselves
macs=""
for ((k = 0; k < N; k++)); do macs+="$(vm_mac $k)|"; done
touch /tmp/announcing
( while [ -e /tmp/announcing ]; do
	bridge fdb show br hbr0 dev bond0
	sleep 0.05
done; sleep 0.3; bridge fdb show br hbr0 dev bond0 ) >/tmp/fdb-bond0.log 2>&1 &
poll=$!
announce() {	# K [IP]: five announcements, 50-100 ms apart
	local i
	for i in 1 2 3 4 5; do
		in_ns "vm$1" slbgen announce "vm$1" "$(vm_mac "$1")" ${2:+"$2"} >/dev/null
		sleep 0.0$((5 + RANDOM % 5))
	done
}
for ((k = 0; k < N; k++)); do
	if ((k < N / 2)); then announce $k & else announce $k "$(vm_ip4 $k)" & fi
done
wait $(jobs -p | grep -v "^$poll\$")
rm /tmp/announcing
wait $poll
bad=$(grep -icE "^(${macs%|}) " /tmp/fdb-bond0.log)
check_eq "host bridge never had a VM behind bond0 while they announced" "$bad" 0
check_eq "no migration counted" "$(proc_val "VM migrations seen")" "$mig0"

rarp=() garp=() notrx=0
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
for ((k = 0; k < N; k++)); do
	s=$(slb_slave_of "$(vm_mac $k)")
	if ((k < N / 2)); then rarp+=("$s"); else garp+=("$s"); fi
	[ "$s" = "$rx" ] || notrx=$((notrx + 1))
done
check "RARP VMs on both slaves (${rarp[*]})" sh -c "echo '${rarp[*]}' | grep -q eth0 && echo '${rarp[*]}' | grep -q eth1"
check "GARP VMs on both slaves (${garp[*]})" sh -c "echo '${garp[*]}' | grep -q eth0 && echo '${garp[*]}' | grep -q eth1"
check "their reflections dropped as looped back" \
	test "$(proc_val "Looped-back frames dropped")" -ge $((looped0 + 5 * notrx))
for ((k = 0; k < N / 2; k++)); do
	check "vm$k reaches vm$((k + N / 2)) at once" \
		in_ns "vm$k" ping -c 1 -W 1 -q "$(vm_ip4 $((k + N / 2)))"
done
check "server reaches vm0" in_ns srv ping -c 1 -W 2 -q "$(vm_ip4 0)"

# still covered by the loop filter: their broadcasts come back and are dropped
looped1=$(proc_val "Looped-back frames dropped")
for ((k = 0; k < N; k++)); do
	in_ns "vm$k" slbgen send "vm$k" -s "$(vm_mac $k)" -c 10 -r 100 >/dev/null &
done
wait
check "later broadcasts of the VMs dropped as looped back" \
	test "$(proc_val "Looped-back frames dropped")" -ge $((looped1 + 10 * notrx))
for ((k = 0; k < N; k++)); do
	check "host bridge has vm$k on vh$k" sh -c \
		"bridge fdb show br hbr0 | grep -qi '^$(vm_mac $k) dev vh$k '"
done
check_eq "still no migration counted" "$(proc_val "VM migrations seen")" "$mig0"
end_test
