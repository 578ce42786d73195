#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# One port, one share, across the ageing time.  gen floods 2000 MACs, falls
# silent for longer than a MAC's ageing (300 s), floods the same MACs
# again, four times: it never holds more than its share (an entry that
# aged out is learned anew, against its port's share, not refreshed).
# Four other ports keep 512 MACs each fresh meanwhile, so that gen's aged
# entries stay in the table (a slot is given back only where no probe
# sequence reaches past it).  Then a VM that starts afterwards is still
# learned, announced on a move and loop-filtered.
#
# 20 minutes of guest time: it runs only in a boot whose clock skips the
# guest's idle time (slb.timewarp=1: QEMU -icount with sleep=off, as
# tools/check.sh boots it), and skips elsewhere.
#
#   gen (2000 MACs, then silence)  g1..g4 (512 MACs each, kept fresh)
#              \                    /      vm1 (starts after the cycles)
#               hbr0 -- bond0 -- eth0/eth1 -- switch -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

grep -qw slb.timewarp=1 /proc/cmdline || skip "needs a time-warped boot (slb.timewarp=1)"
SYS=/sys/class/net/bond0/bonding
CYCLES=4
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
gen_add
for k in 1 2 3 4; do gen_add "g$k"; done
must ns_ping vm0 "$SRV_IP4" 1
others() {
	local k
	for k in 1 2 3 4; do
		in_ns "g$k" slbgen send "g${k}0" -s "02:6$k:00:00:00:00" -n 600 -c 600 \
			-r 2000 -d "$SRV_MAC" >/dev/null
	done
}
share=$(sed -n 's/^Known MACs: .*at most \([0-9]*\) from one port.*/\1/p' /proc/net/bonding/bond0)
# gen's MACs in the table, fresh ones only (debugfs lists those)
gen_known() { grep -o -i ' 02:66:[0-9a-f:]*/0' "$SLB_DBG/bond0/slb_buckets" | wc -l; }

most=0
others
for ((c = 1; c <= CYCLES; c++)); do
	in_ns gen slbgen send gen0 -s 02:66:00:00:00:00 -n 2000 -c 2000 -r 2000 -d "$SRV_MAC" >/dev/null
	# the recount of once a second, then the count
	sleep 2
	n=$(gen_known)
	log "cycle $c: gen holds $n MACs (share $share), $(proc_val "Known MACs") known in all"
	((n > most)) && most=$n
	# longer than the ageing time (300 s), in guest time; the others
	# stay fresh
	sleep 150
	others
	sleep 160
	others
done
check "gen never held more than its share ($most, share $share)" test "$most" -le $((share + 8))

VM1=$(vm_mac 1)
vm_add 1
in_ns vm1 sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"
must ns_ping vm1 "$SRV_IP4" 1
s=$(slb_slave_of "$VM1")
check "vm1 learned after the cycles (on '$s')" test -n "$s"
# to the slave that is not the receive slave, where the switch's copies
# of its broadcasts come back on the receive slave
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
to=eth0
[ "$rx" = eth0 ] && to=eth1
if [ "$s" = "$to" ]; then
	must sh -c "echo '$VM1 $rx' >$SYS/slb_migrate"
	must wait_for -t 3 slb_settled "$VM1" "$rx"
	sleep 0.5
fi
ann=$(proc_val "Announcements sent")
must sh -c "echo '$VM1 $to' >$SYS/slb_migrate"
check "vm1's bucket moved to $to" wait_for -t 3 slb_settled "$VM1" "$to"
check "vm1's move announced" wait_for -t 3 proc_at_least "Announcements sent" $((ann + 1))
looped=$(proc_val "Looped-back frames dropped")
in_ns vm1 slbgen send vm1 -s "$VM1" -c 20 -r 200 >/dev/null
check "vm1's broadcasts looped back are dropped" \
	wait_for -t 3 proc_at_least "Looped-back frames dropped" $((looped + 20))
end_test
