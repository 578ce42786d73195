#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Unicast the switch floods (learning off, a MAC not learned yet) reaches
# its VM exactly once: only the slave the destination's bucket transmits
# on accepts it.  No only copy is lost: not for a VM that never sent, not
# for the bond's own MAC, not across a bucket move (the old slave accepts
# for a grace time), and a learning switch loses nothing while the VM's
# bucket moves under a 1000 frames/s stream.
#
#   vm0 vm1 gen (never sends)      hbr0 (the bond's MAC)
#     \  |  /                        |
#      hbr0 -- bond0 -- eth0/eth1 == swp0/swp1 (learning off) -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
topo_vms 2
gen_add
VM1=$(vm_mac 1)
must ns_ping vm1 $SRV_IP4 1
# a hub: the switch floods every frame to both of our ports
learning() {
	bridgeb sw <<-EOF2
		link set dev swp0 learning $1
		link set dev swp1 learning $1
	EOF2
	[ "$1" = on ] || must ip netns exec sw bridge fdb flush dev br0 dynamic
}
learning off

# stream NAME NS IFACE DST COUNT RATE: the server sends to DST, IFACE counts
stream() {
	local name=$1 ns=$2 ifc=$3 dst=$4 n=$5 r=$6 pid line
	# the receiver runs until the sender is done, however slow the kernel
	must listen_bg /tmp/fu.out "$ns" "$ifc" -t 600
	pid=$LISTEN_PID
	in_ns srv slbgen send srv0 -s $SRV_MAC -d "$dst" -c "$n" -r "$r" >/dev/null &
	STREAM_SENDER=$!
	[ -z "${STREAM_DURING:-}" ] || $STREAM_DURING
	wait $STREAM_SENDER
	sleep 0.5
	stop_bg $pid
	line=$(awk -v m="${SRV_MAC,,}" '$2 == m { f += $4; l += $6; d += $7 }
		END { print f + 0, l + 0, d + 0 }' /tmp/fu.out)
	read -r GOT LOST DUPS <<<"$line"
	check_eq "$name: $n frames arrive once each (frames lost dups)" \
		"$GOT $LOST $DUPS" "$n 0 0"
}

d0=$(proc_val "Unicast copies dropped on other slaves")
stream "flooded to vm1" vm1 vm1 "$VM1" 300 300
check "the other slave's copies dropped and counted" \
	test "$(proc_val "Unicast copies dropped on other slaves")" -ge $((d0 + 300))
stream "flooded to a MAC that never sent" gen gen0 02:00:00:00:0d:01 300 300
BOND_MAC=$(cat /sys/class/net/bond0/address)
stream "flooded to the bond's own MAC" - hbr0 "$BOND_MAC" 300 300

# vm1's bucket moves; once the old slave's grace is over, still once
s=$(slb_slave_of "$VM1")
to=eth0
[ "$s" = eth0 ] && to=eth1
must sh -c "echo '$VM1 $to' >/sys/class/net/bond0/bonding/slb_migrate"
check "vm1's bucket moved to $to" wait_for -t 3 slb_settled "$VM1" "$to"
sleep 2.5
stream "flooded to vm1 after its move to $to" vm1 vm1 "$VM1" 300 300

# a learning switch, vm1's bucket moving back under a stream: nothing lost
learning on
must ns_ping vm1 $SRV_IP4 1
move_back() {
	sleep 1
	echo "$VM1 $s" >/sys/class/net/bond0/bonding/slb_migrate
}
STREAM_DURING=move_back stream "learning switch, vm1 moves back to $s at 1000/s" \
	vm1 vm1 "$VM1" 3000 1000
check "vm1's bucket is on $s again" slb_settled "$VM1" "$s"
end_test
