#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Failover faster than miimon.  At 2000 frames/s a slave loses carrier (its
# switch port goes down); frames lost are counted for active-backup and
# balance-slb with the same miimon (100 ms), in this one VM run:
#   tx: a VM's stream to the server, cut the slave that carries it;
#   rx: broadcasts from the server to the VM, cut the slave that accepts
#       them (active-backup: the active one; balance-slb: the receive one).
# balance-slb reacts to the carrier notifier, so it must lose well under
# what a 100 ms poll costs (200 frames); active-backup's figure is reported
# next to it.  With downdelay set, balance-slb keeps its buckets on the
# slave until bonding gives up on it, as downdelay asks.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

A=02:55:00:00:00:01
# 30 ms at 2000 frames/s (a 100 ms poll costs up to 200), times SLB_SLOW
MAX_LOSS=$((60 * SLB_SLOW))

setup() {	# setup MODE [bond options]
	local mode=$1
	shift
	topo_switch 2
	topo_bond bond0 "$mode" miimon 100 "$@"
	topo_vms 0
	gen_add
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
	gen_send -s $A -c 2 -d $SRV_MAC >/dev/null
	wait_for -t 5 sh -c "[ \$(grep -c 'MII Status: up' /proc/net/bonding/bond0) -eq 3 ]"
}
field() { sed -n "s/^$1: //p" /proc/net/bonding/bond0; }
port_of() { echo "sw${1/eth/p}"; }

declare -A loss
load_bonding

# --- active-backup ----------------------------------------------------------------
setup active-backup
for t in 1 2; do
	failover_trial tx "$(field "Currently Active Slave")" $A
	loss[ab-tx]+="$LOST "
	failover_trial rx "$(field "Currently Active Slave")" $A
	loss[ab-rx]+="$LOST "
done
cleanup_topo

# --- balance-slb ------------------------------------------------------------------
setup balance-slb
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
for t in 1 2; do
	failover_trial tx "$(slb_slave_of $A)" $A
	loss[slb-tx]+="$LOST "
	check "balance-slb tx: $LOST frames lost (< $MAX_LOSS)" test $LOST -lt $MAX_LOSS
	failover_trial rx "$(field "Broadcast\/multicast receive slave")" $A
	loss[slb-rx]+="$LOST "
	check "balance-slb rx broadcast: $LOST frames lost (< $MAX_LOSS)" test $LOST -lt $MAX_LOSS
done
log "frames lost at $FO_RATE frames/s when a slave loses carrier, miimon 100 ms (two trials):"
log "  tx:           active-backup ${loss[ab-tx]}  balance-slb ${loss[slb-tx]}"
log "  rx broadcast: active-backup ${loss[ab-rx]}  balance-slb ${loss[slb-rx]}"

# --- downdelay: the slave stays in use until bonding disables it -----------------
must ip link set bond0 type bond downdelay 500
on=$(slb_slave_of $A)
in_ns gen slbgen send gen0 -s $A -c 0 -t 3 -r 200 -d $SRV_MAC >/dev/null &
SLB_PIDS+=($!)
sleep 0.5
must ip -n sw link set "$(port_of "$on")" down
t0=${EPOCHREALTIME/./}
sleep 0.2
now_on=$(slb_slave_of $A)
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
# only meaningful if read well inside the 500 ms (a debug kernel may be late)
if ((ms < 400)); then
	check_eq "downdelay 500: $A still on $on 0.2 s after the cut" "$now_on" "$on"
else
	log "downdelay 500: read $ms ms after the cut, too late to check that $A stayed"
fi
check "downdelay 500: $A moved once bonding disabled $on" \
	wait_for -t 3 sh -c "[ \"\$(awk -v m=$A '\$0 ~ m { print \$2 }' $SLB_DBG/bond0/slb_buckets)\" != $on ]"
end_test
