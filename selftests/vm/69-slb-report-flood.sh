#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A guest floods IGMP reports, which leave through the receive slave.  They
# are bounded per sender (256 a second; the rest dropped and counted), and
# what gets through loads the receive slave in the rebalancer's eyes: vm1,
# streaming on the same (shaped) link, is moved off it and then loses
# nothing while the reports go on.
#
#   vm0 (5000 IGMP reports/s)   vm1 (1000 frames/s of 200 bytes)
#                \              /
#                 hbr0 -- bond0 -- eth0 -- swp0 --\    eth0, eth1: tbf
#                              \-- eth1 -- swp1 --- sw -- srv   4 Mbit/s
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
SECS=24
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 1000 >$SYS/slb_rebalance_interval
echo 0 >$SYS/slb_move_cooldown
topo_vms 2
VM0=$(vm_mac 0)
VM1=$(vm_mac 1)
must ping_tries vm0 "$SRV_IP4"
must ping_tries vm1 "$SRV_IP4"
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
other=eth1
[ "$rx" = eth1 ] && other=eth0
# vm1 on the receive slave, vm0 on the other one
place() {
	if [ "$(slb_slave_of "$1")" != "$2" ]; then
		must sh -c "echo '$1 $2' >$SYS/slb_migrate"
		must wait_for -t 3 slb_settled "$1" "$2"
	fi
}
place "$VM1" "$rx"
place "$VM0" "$other"
[ "$(slb_bucket_of "$VM0")" != "$(slb_bucket_of "$VM1")" ] ||
	skip "vm0 and vm1 hash into one bucket"
for e in eth0 eth1; do
	must tc qdisc add dev $e root tbf rate 4mbit burst 16kb latency 100ms
done
REPMAC=$(sed -n 's/^Source MAC of multicast reports: //p' /proc/net/bonding/bond0)
rep0=$(proc_val "Multicast reports sent via receive slave")
over0=$(proc_val "Multicast reports dropped (their sender's budget)")

# IPv4 (DF, protocol 2) + IGMPv2 membership report for 239.1.2.3, padded
IGMP=4500001c0000400001020000c000020aef010203
IGMP+=16000000ef010203
must listen_bg /tmp/rep.out sw "$(sw_ports)" -t $((SECS + 10)) -e 0x0800
REP_PID=$LISTEN_PID
t0=$(date +%s)
in_ns vm0 slbgen send vm0 -s "$VM0" -d 01:00:5e:01:02:03 -e 0x0800 -x "$IGMP" \
	-l 1514 -c $((SECS * 5000)) -r 5000 -t $SECS >/tmp/vm0.sent &
FLOOD_PID=$!
SLB_PIDS+=("$FLOOD_PID")
in_ns vm1 slbgen send vm1 -s "$VM1" -d "$SRV_MAC" -c $((SECS * 1000)) -r 1000 -l 200 >/dev/null &
A_PID=$!
SLB_PIDS+=("$A_PID")
moved=""
for ((i = 0; i < SECS - 8; i++)); do
	sleep 1
	if [ "$(slb_slave_of "$VM1")" = "$other" ]; then
		moved=$(($(date +%s) - t0))
		break
	fi
done
stop_bg "$A_PID"
load=$(proc_val "Multicast report load")
log "vm1 moved off $rx after ${moved:-no} s; report load then $load bytes/s"
check "the reports' load counted ($load bytes/s)" test "${load:-0}" -gt 0
check "vm1 moved off the receive slave $rx while the reports fill it" test -n "$moved"
if [ -n "$moved" ]; then
	# vm1 on its new link, the flood going on: 3000 frames, none lost
	sleep 2
	must listen_bg /tmp/vm1.out srv srv0 -t 30
	in_ns vm1 slbgen send vm1 -s "$VM1" -d "$SRV_MAC" -c 3000 -r 1000 -l 200 >/dev/null
	sleep 1
	stop_bg "$LISTEN_PID"
	got=$(awk -v m="${VM1,,}" 'tolower($2) == m { s += $4 } END { print s + 0 }' /tmp/vm1.out)
	check "vm1 loses nothing after the move ($got of 3000 while the reports go on)" \
		test "$got" -ge 2970
fi
wait "$FLOOD_PID"
SLB_PIDS=()
secs=$(($(date +%s) - t0))
sleep 1
stop_bg "$REP_PID"
rep=$(($(proc_val "Multicast reports sent via receive slave") - rep0))
over=$(($(proc_val "Multicast reports dropped (their sender's budget)") - over0))
atsw=$(awk -v m="${REPMAC,,}" 'tolower($2) == m { s += $4 } END { print s + 0 }' /tmp/rep.out)
log "vm0: $(cat /tmp/vm0.sent) in $secs s; sent via $rx: $rep, dropped over budget: $over, at the switch: $atsw"
check "reports bounded: $rep sent in $secs s (<= 256/s)" test "$rep" -le $((256 * (secs + 1)))
check "the rest counted as dropped ($over)" test "$over" -gt 0
check "the switch saw no more than were sent ($atsw <= $rep)" test "$atsw" -le "$rep"
end_test
