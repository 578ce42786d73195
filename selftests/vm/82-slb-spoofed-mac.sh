#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A guest that sends with an outside host's MAC must not cut that host off.
# vm0 sends 20 broadcasts and 20 unicasts with the server's MAC; then the
# server streams 200 frames to vm1: they arrive (a frame unicast to one of
# our VMs cannot be a reflection), the conflict is counted and logged once
# with the MAC and VLAN, and vm1 reaches the server within 3 s, as through
# a plain bridge.  Reflections of the VMs' own frames are still dropped.
# Once a guest stops sending with an outside host's MAC, that host's
# broadcasts pass within 1 s, even on another slave than the MAC's bucket.
#
#   vm0 (spoofs srv's MAC)  vm1
#            \             /
#             hbr0 -- bond0 -- eth0/eth1 -- switch -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
topo_vms 2
VM0=$(vm_mac 0)
VM1=$(vm_mac 1)
must ns_ping vm1 $SRV_IP4 1
must ns_ping vm0 $SRV_IP4 1
dmesg -c >/dev/null
c0=$(proc_val "MAC conflicts (our MACs used behind the switch)")

in_ns vm0 slbgen send vm0 -s $SRV_MAC -c 20 -r 200 >/dev/null
in_ns vm0 slbgen send vm0 -s $SRV_MAC -d 02:00:00:00:0e:01 -c 20 -r 200 >/dev/null
check "the spoofed MAC is sent through the bond" slb_slave_of $SRV_MAC

log "bond counters before: looped $(proc_val "Looped-back frames dropped"), unicast copies dropped $(proc_val "Unicast copies dropped on other slaves"), conflicts $(proc_val "MAC conflicts (our MACs used behind the switch)")"
must listen_bg /tmp/sp.out vm1 vm1 -t 600
pid=$LISTEN_PID
in_ns srv slbgen send srv0 -s $SRV_MAC -d "$VM1" -c 200 -r 200 >/dev/null
sleep 0.5
stop_bg $pid
got=$(awk -v m="${SRV_MAC,,}" '$2 == m { s += $4 } END { print s + 0 }' /tmp/sp.out)
log "bond counters: looped $(proc_val "Looped-back frames dropped"), unicast copies dropped $(proc_val "Unicast copies dropped on other slaves"), conflicts $(proc_val "MAC conflicts (our MACs used behind the switch)")"
check "the server's stream reaches vm1 ($got of 200)" test "$got" -ge 190
check "vm1 pings the server within 3 s" in_ns vm1 ping -c 1 -W 3 -q $SRV_IP4
check "conflict counted" \
	test "$(proc_val "MAC conflicts (our MACs used behind the switch)")" -eq $((c0 + 1))
check "conflict logged with MAC and VLAN" \
	sh -c "dmesg | grep -q 'balance-slb: ${SRV_MAC,,} (VLAN 0) is sent from here and from behind the switch'"
check "host bridge finds the server behind bond0 again" \
	sh -c "bridge fdb show br hbr0 | grep -qi '^$SRV_MAC dev bond0 '"

# the VMs' own reflections: still dropped
vm_on=$(slb_slave_of "$VM0")
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
if [ "$vm_on" = "$rx" ]; then
	other=eth0
	[ "$rx" = eth0 ] && other=eth1
	must sh -c "echo '$VM0 $other' >/sys/class/net/bond0/bonding/slb_migrate"
	must wait_for -t 3 slb_settled "$VM0" "$other"
	sleep 0.5
fi
looped=$(proc_val "Looped-back frames dropped")
in_ns vm0 slbgen send vm0 -s "$VM0" -c 20 -r 200 >/dev/null
check "vm0's own broadcasts looped back are dropped" \
	test "$(proc_val "Looped-back frames dropped")" -ge $((looped + 20))
check "host bridge keeps vm0 on vh0" sh -c "bridge fdb show br hbr0 | grep -qi '^$VM0 dev vh0 '"

# Once the guest stops, the outside host is heard within 1 s, even where a
# reflection could not be told apart: its broadcasts on the receive slave,
# while the MAC's bucket sends on the other one, after our announcement of
# the MAC's move there.
OUT=02:00:00:00:0e:02
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
other=eth0
[ "$rx" = eth0 ] && other=eth1
# unicast to the server: vm1 sees only the outside host's frames
in_ns vm0 slbgen send vm0 -s $OUT -d $SRV_MAC -c 1 >/dev/null
# moved there, and announced by us, on every run
for s in "$rx" "$other"; do
	must sh -c "echo '$OUT $s' >/sys/class/net/bond0/bonding/slb_migrate"
	must wait_for -t 3 slb_settled "$OUT" "$s"
done
# past the first frame's last-seen stamp and our announcement
sleep 1.1
must listen_bg /tmp/sil.out vm1 vm1 -t 600
in_ns vm0 slbgen send vm0 -s $OUT -d $SRV_MAC -c 1 >/dev/null
t_last=${EPOCHREALTIME/./}
sleep 1.3
in_ns srv slbgen send srv0 -s $OUT -c 20 -r 100 >/dev/null
ms=$(((${EPOCHREALTIME/./} - t_last) / 1000))
sleep 0.3
stop_bg $LISTEN_PID
got=$(awk -v m="${OUT,,}" '$2 == m { s += $4 } END { print s + 0 }' /tmp/sil.out)
log "the outside host's broadcasts left 1.3 s to $ms ms after the guest's last frame"
check "the outside host's broadcasts pass 1.3 s after the guest's last frame ($got of 20)" \
	test "$got" -ge 19
end_test
