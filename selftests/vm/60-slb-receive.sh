#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb receive side: a broadcast or multicast flooded by the switch
# to every slave reaches a VM exactly once (also after the receive slave
# changes); a VM's own broadcast looped back by the switch is not handed
# back and the host bridge keeps the VM on its own port.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
topo_vms 2
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
check "a receive slave is shown ($rx)" test "$rx" = eth0 -o "$rx" = eth1

flood_once() {	# label dst
	in_ns vm1 slbgen recv vm1 -t 3 >/tmp/vm1.out 2>/dev/null &
	local pid=$!
	sleep 0.3
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 50 -r 200 -d "$2" >/dev/null
	wait $pid
	got=$(awk -v m="$SRV_MAC" '$2 == m { s += $4 } END { print s + 0 }' /tmp/vm1.out)
	check_eq "$1: 50 flooded frames reach vm1 exactly once" "$got" 50
}
flood_once broadcast ff:ff:ff:ff:ff:ff
flood_once multicast 01:00:5e:01:02:03
dropped=$(proc_val "Broadcast/multicast dropped on other slaves")
check "other slave's copies dropped and counted ($dropped)" test "$dropped" -ge 100

# receive slave follows primary
other=eth0
[ "$rx" = eth0 ] && other=eth1
check "primary=$other accepted" sh -c "echo $other >/sys/class/net/bond0/bonding/primary"
check "receive slave becomes $other" wait_for -t 3 \
	grep -q "^Broadcast/multicast receive slave: $other" /proc/net/bonding/bond0
flood_once "after receive slave change" ff:ff:ff:ff:ff:ff

# vm0's bucket on the slave that does not receive broadcasts, so the
# switch floods vm0's broadcast back to us through the receive slave
VM0=$(vm_mac 0)
in_ns vm0 slbgen send vm0 -s "$VM0" -c 1 >/dev/null
notrx=$rx
check "vm0 to $notrx" sh -c "echo '$VM0 $notrx' >/sys/class/net/bond0/bonding/slb_migrate"
looped0=$(proc_val "Looped-back frames dropped")
in_ns vm0 slbgen recv vm0 -t 3 >/tmp/vm0.out 2>/dev/null &
pid=$!
sleep 0.3
in_ns vm0 slbgen send vm0 -s "$VM0" -c 30 -r 100 >/dev/null
wait $pid
own=$(awk -v m="$VM0" '$2 == m { s += $4 } END { print s + 0 }' /tmp/vm0.out)
check_eq "vm0 gets none of its own broadcasts back" "$own" 0
check "looped-back frames dropped and counted" \
	test "$(proc_val "Looped-back frames dropped")" -ge $((looped0 + 30))
check "host bridge keeps vm0 on vh0" sh -c "bridge fdb show br hbr0 | grep -i '^$VM0 dev vh0'"
check_fail "host bridge never learned vm0 on bond0" \
	sh -c "bridge fdb show br hbr0 | grep -i '^$VM0 dev bond0'"
check "unicast still flows: vm0 pings the server" ns_ping vm0 $SRV_IP4 3
check "and vm1" ns_ping vm1 $SRV_IP4 3
end_test
