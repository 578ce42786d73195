#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo, inside the VM: a hypervisor host with VMs behind a bridge on a
# 2-link balance-slb bond to a plain learning switch, shown step by step.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

say() { printf '\n=== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^/  /'; }
buckets() {	# the used buckets with their MACs, short
	awk 'NR == 1 || NF > 6' $SLB_DBG/bond0/slb_buckets | sed 's/^/  /'
}
slbinfo() {
	sed -n '/^Source load/,/^VM migrations/p; /^Slave Interface/p; /^SLB /p' \
		/proc/net/bonding/bond0 | sed 's/^/  /'
}

say "Topology"
cat <<'T'
  vm0..vm5 (network namespaces, MAC 02:00:00:00:00:0N)
      |  host bridge hbr0 (like a KVM/Proxmox/Xen host bridge)
   bond0  mode balance-slb, miimon 50
   eth0  eth1           (veth "cables")
    |     |
   swp0  swp1    switch: a plain Linux learning bridge, no LAG, no LACP
       server 192.0.2.1 behind the switch
T
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
topo_vms 6
show cat /sys/class/net/bond0/bonding/mode

say "Every VM pings the server; each VM MAC is placed on one link"
for k in 0 1 2 3 4 5; do
	if ns_ping vm$k $SRV_IP4 2 >/dev/null; then
		echo "  vm$k -> server: ok"
	else
		echo "  vm$k -> server: FAILED"
	fi
done
echo "  bucket table (debugfs bonding/bond0/slb_buckets):"
buckets
echo "  the switch learned each VM on the port its bucket uses:"
bridge -n sw fdb show br br0 | grep '^02:00:00:00:00' | sed 's/ master.*//; s/^/    /'

say "Rebalancing: two busy VMs on the same link, the other link idle"
A=$(vm_mac 0)
B=$(vm_mac 1)
echo "$A eth0" >/sys/class/net/bond0/bonding/slb_migrate
echo "$B eth0" >/sys/class/net/bond0/bonding/slb_migrate
for v in 0 1; do
	in_ns vm$v slbgen send vm$v -s "$(vm_mac $v)" -c 0 -t 14 -r 800 -l 1000 \
		-d $SRV_MAC >/dev/null &
	SLB_PIDS+=($!)
done
sleep 3
echo "  vm0 and vm1 each send ~6 Mbit/s, both through eth0:"
slbinfo | grep -e "SLB load" -e "Slave Interface"
echo "  now: echo 1000 > /sys/class/net/bond0/bonding/slb_rebalance_interval"
echo "  and watch the switch ports for announcements (tcpdump in the switch)"
in_ns sw timeout 4 tcpdump -l -e -n -i swp1 rarp or arp 2>/dev/null | \
	sed 's/^/  swp1: /' &
tp=$!
sleep 0.5
echo 1000 >/sys/class/net/bond0/bonding/slb_rebalance_interval
wait $tp
echo "  after the rebalance:"
slbinfo | grep -e "SLB load" -e "Slave Interface" -e "Total moves" -e "Announcements"
buckets | grep -i -e "$A" -e "$B" -e bucket
echo "  the switch moved the MAC at once:"
bridge -n sw fdb show br br0 | grep -i -e "^$A" -e "^$B" | sed 's/ master.*//; s/^/    /'
wait
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval

say "Failover: the cable of eth1 is pulled while vm2..vm5 ping the server"
for k in 2 3 4 5; do
	in_ns vm$k ping -q -i 0.05 -c 80 $SRV_IP4 >/tmp/ping$k.out 2>&1 &
	SLB_PIDS+=($!)
done
sleep 1
in_ns sw timeout 3 tcpdump -l -e -n -i swp0 rarp or arp 2>/dev/null | \
	sed 's/^/  swp0: /' &
tp=$!
sleep 0.5
ip -n sw link set swp1 down
wait $tp
wait
for k in 2 3 4 5; do
	echo "  vm$k: $(grep -o '[0-9]* packets transmitted, [0-9]* received' /tmp/ping$k.out)"
done
echo "  only eth1's buckets moved, to eth0:"
buckets
slbinfo | grep -e "Total moves" -e "Announcements" -e "receive slave"

say "Failback: the cable is back; eth1 takes load again within seconds"
ip -n sw link set swp1 up
for k in 2 3 4 5; do
	in_ns vm$k slbgen send vm$k -s "$(vm_mac $k)" -c 0 -t 8 -r 300 -l 800 \
		-d $SRV_MAC >/dev/null &
	SLB_PIDS+=($!)
done
sleep 7
buckets
slbinfo | grep -e "Slave Interface" -e "SLB buckets" -e "SLB load" -e "Total moves"
wait

say "Receive side: a broadcast flooded to both links arrives once"
in_ns vm0 slbgen recv vm0 -t 2 >/tmp/b.out 2>/dev/null &
sleep 0.3
in_ns srv slbgen send srv0 -s $SRV_MAC -c 20 -r 100 >/dev/null
wait
echo "  server sent 20 broadcasts, vm0 received $(awk '{ s += $4 } END { print s + 0 }' /tmp/b.out)"
slbinfo | grep -e "Looped" -e "dropped on other"
say "Full /proc/net/bonding/bond0"
sed 's/^/  /' /proc/net/bonding/bond0
end_test
