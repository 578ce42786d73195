#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A VM that live-migrates away (its MAC announced from the switch side by a
# RARP) is no longer treated as local: its frames arriving through the bond
# are accepted and unicast to it works within 1 s of the announcement.
# Our own announcements looped back by the switch do not count as one.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
topo_vms 2
VM0=$(vm_mac 0)
VM1=$(vm_mac 1)
check "vm0 reaches the server" ns_ping vm0 $SRV_IP4 2
check "vm1 reaches vm0 locally" ns_ping vm1 "$(vm_ip4 0)" 2

# our own move of vm1: the RARP/GARP the switch floods back is ours
mig0=$(proc_val "VM migrations seen")
s=$(slb_slave_of "$VM1")
to=eth0
[ "$s" = eth0 ] && to=eth1
check "migrate vm1 to $to" sh -c "echo '$VM1 $to' >/sys/class/net/bond0/bonding/slb_migrate"
sleep 1
check_eq "own announcement not taken for a migration" "$(proc_val "VM migrations seen")" "$mig0"
check "vm1 still local and working" ns_ping vm1 $SRV_IP4 2

# vm0 migrates: gone from this host, reappears behind the switch
must ip link del vh0
ip netns del vm0
SLB_NS=("${SLB_NS[@]/vm0}")
ns_add vm0r
must ip link add vm0r type veth peer name swvm0 netns sw
must ip link set vm0r netns vm0r
must ip -n sw link set swvm0 master br0
must ip -n sw link set swvm0 up
must ip -n vm0r link set vm0r address "$VM0"
must ip -n vm0r addr add "$(vm_ip4 0)/24" dev vm0r
must ip -n vm0r link set vm0r up
# the destination hypervisor announces the VM, as QEMU does, with a RARP
must in_ns vm0r slbgen announce vm0r "$VM0"
# the guest's date has no %N: the uptime's centiseconds
t0=$(cut -d" " -f1 /proc/uptime)
check "vm1 reaches migrated vm0 within 1 s" \
	in_ns vm1 ping -c 1 -W 1 -q "$(vm_ip4 0)"
t1=$(cut -d" " -f1 /proc/uptime)
log "first reply $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms after the announcement"
check "migration counted" test "$(proc_val "VM migrations seen")" -gt "$mig0"
check "host bridge now finds vm0 behind bond0" \
	sh -c "bridge fdb show br hbr0 | grep -i '^$VM0 dev bond0'"
check "server reaches migrated vm0" in_ns srv ping -c 2 -i 0.2 -W 1 -q "$(vm_ip4 0)"
end_test
