#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The broadcast/multicast receive slave changes under a stream.
#
#   srv --- sw (floods each broadcast to swp0 and swp1) === eth0, eth1 --- bond0 --- vm0
#
# The server streams numbered broadcasts at 5000 frames/s while the primary
# option moves the receive slave from eth0 to eth1 and back, 200 times.
# Each broadcast reaches the host twice, once per slave, a few
# microseconds apart; a change that falls between the two copies must
# neither let both through (a duplicate) nor neither (a loss).
# Pass: vm0 gets every frame exactly once, and the bond says how many
# copies it recognised as duplicates at the changes.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SWITCHES=200
RATE=5000

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
topo_vms 1
in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
PRI=/sys/class/net/bond0/bonding/primary
before=$(dmesg | grep -c "bond0: balance-slb: receiving broadcast/multicast on")

# enough frames to outlast the changes, however slow the kernel
listen_bg /tmp/rxsw.out vm0 vm0 -t $((30 * SLB_SLOW))
backlog0=$(softnet_drops)
in_ns srv slbgen send srv0 -s $SRV_MAC -c 0 -t $((12 * SLB_SLOW)) -r $RATE >/tmp/rxsw.sent &
spid=$!
sleep 0.5
for ((i = 0; i < SWITCHES; i++)); do
	echo "eth$((i % 2))" >$PRI
	sleep 0.02
done
wait $spid
sleep 1
stop_bg "$LISTEN_PID"

sent=$(awk '{ print $2 }' /tmp/rxsw.sent)
# a frame that came late was counted in the gap it left, and then as
# reordered: it is not lost
read -r got lost dups reord < <(awk -v m=${SRV_MAC,,} \
	'tolower($2) == m { f += $4; l += $6 - $5; d += $7; r += $5 }
	END { print f + 0, l + 0, d + 0, r + 0 }' /tmp/rxsw.out)
changes=$(($(dmesg | grep -c "bond0: balance-slb: receiving broadcast/multicast on") - before))
log "$changes receive slave changes; $got of $sent broadcasts, $lost lost, $dups duplicated, $reord out of order"
seconds=$(sed -n 's/^Duplicate broadcast\/multicast dropped at receive slave changes: //p' /proc/net/bonding/bond0)
log "second copies dropped by the bond: $seconds"
# frames the bond passed up but the receiving socket had no room for
sockdrops=$(sed -n 's/.*socket drops //p' /tmp/rxsw.out.err)
# and frames a full input backlog dropped on the way (before the bond,
# between it and vm0): a stalled emulator's, not the bond's
backlog=$(($(softnet_drops) - backlog0))
log "receiving socket dropped ${sockdrops:-?}, full input backlogs $backlog"
check "the receive slave changed at least $((SWITCHES - 2)) times ($changes)" \
	test "$changes" -ge $((SWITCHES - 2))
check_eq "no broadcast duplicated" "$dups" 0
# both slaves accepted at the changes, and the bond told the copies apart
check "second copies recognised and counted ($seconds)" test "${seconds:-0}" -gt 0
outside=$((${sockdrops:-0} + backlog))
check "no broadcast lost by the bond ($lost lost, $outside dropped outside it)" \
	test "$lost" -le "$outside"
check "every broadcast passed up by the bond" test "$((got + outside))" -ge "$sent"
end_test
