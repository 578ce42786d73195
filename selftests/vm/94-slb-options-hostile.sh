#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Hostile and concurrent option writes.  Every balance-slb sysfs option and
# module parameter refuses malformed, negative, overflowing, huge and empty
# values and keeps its value.  Four writers hammer the options at once
# while readers read them: nothing crashes, every value read back is one
# that some writer wrote, and the bond still works afterwards.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
topo_vms 1

# Our options parse their text themselves: bonding's parser reads "0 5" as
# 0 and wraps 2^64 to 0, both of which then match its "minval" row.
bad=(-1 -0x10 abc "" " " 1.5 0x 99999999999999999999 4294967296
     "10 20" "0 5" 0x10 18446744073709551616 "$(printf '1%.0s' $(seq 1 300))")
declare -A ok_val=([slb_rebalance_interval]=2000 [slb_move_gap]=30 [slb_move_cooldown]=5000)
for opt in slb_rebalance_interval slb_move_gap slb_move_cooldown; do
	echo "${ok_val[$opt]}" >$SYS/$opt || fail "$opt: good value refused"
	nbad=0
	for v in "${bad[@]}"; do
		if echo "$v" >$SYS/$opt 2>/dev/null; then
			fail "$opt: '${v:0:20}' accepted"
		else
			nbad=$((nbad + 1))
		fi
	done
	check_eq "$opt: ${#bad[@]} bad values refused" "$nbad" "${#bad[@]}"
	check_eq "$opt: value unchanged" "$(cat $SYS/$opt)" "${ok_val[$opt]}"
done
check_fail "slb_rebalance_interval 50 (below 100) refused" sh -c "echo 50 >$SYS/slb_rebalance_interval"
check_fail "slb_move_gap 1001 refused" sh -c "echo 1001 >$SYS/slb_move_gap"
check_fail "slb_move_cooldown 86400001 refused" sh -c "echo 86400001 >$SYS/slb_move_cooldown"
nbad=0
for v in "" "x" "$(printf 'A%.0s' $(seq 1 5000))" "02:00:00:00:00:01 eth0 eth1 eth0" \
	 "02:00:00:00:00:01 99999999999999999999 eth0" "02:00:00:00:00:01%s eth0"; do
	echo "$v" >$SYS/slb_migrate 2>/dev/null || nbad=$((nbad + 1))
done
check_eq "slb_migrate: 6 hostile strings refused" "$nbad" 6
# values that are rows of bonding's option table are still taken
for opt in slb_rebalance_interval slb_move_gap slb_move_cooldown; do
	check "$opt: 0 accepted" sh -c "echo 0 >$SYS/$opt && [ \$(cat $SYS/$opt) = 0 ]"
done
check "slb_move_gap: default 50 accepted" sh -c "echo 50 >$SYS/slb_move_gap"
check "slb_move_cooldown: max 86400000 accepted" sh -c "echo 86400000 >$SYS/slb_move_cooldown"

# module parameters: bad values refused at load, good ones taken
cleanup_topo
must modprobe -r bonding
for p in slb_rebalance_interval=-1 slb_rebalance_interval=50 slb_move_gap=1001 \
	 slb_move_cooldown=abc slb_move_gap= slb_mac_table_size=100 \
	 slb_mac_table_size=128 slb_mac_table_size=131072 slb_mac_table_size=0; do
	check_fail "modprobe bonding $p refused" modprobe bonding max_bonds=0 "$p"
	[ -d /sys/module/bonding ] && modprobe -r bonding
done
check "modprobe with good values" modprobe bonding max_bonds=0 slb_rebalance_interval=700 slb_move_gap=20 slb_move_cooldown=9000 slb_mac_table_size=1024
check_eq "module parameter default taken by a new bond" \
	"$(ip link add bond0 type bond && echo balance-slb >$SYS/mode && cat $SYS/slb_rebalance_interval $SYS/slb_move_gap $SYS/slb_move_cooldown $SYS/slb_mac_table_size | tr '\n' ' ')" \
	"700 20 9000 1024 "
ip link del bond0

# concurrent writers and readers
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
topo_vms 1
writer() {
	local end=$((SECONDS + 8)) opt=$1; shift
	while [ $SECONDS -lt $end ]; do
		echo "$((RANDOM % 2 ? $1 : $2))" >$SYS/$opt 2>/dev/null
		echo "junk$RANDOM" >$SYS/$opt 2>/dev/null
	done
}
# what the writers write, and the values before their first write
written="0 100 500 1000 5000 30000 $(cat $SYS/slb_rebalance_interval \
	$SYS/slb_move_gap $SYS/slb_move_cooldown | tr '\n' ' ')"
reader() {
	local end=$((SECONDS + 8)) v
	while [ $SECONDS -lt $end ]; do
		for v in $(cat $SYS/slb_rebalance_interval $SYS/slb_move_gap $SYS/slb_move_cooldown); do
			[[ " $written " == *" $v "* ]] || echo "odd value $v"
		done
		cat /proc/net/bonding/bond0 >/dev/null
	done
}
writer slb_rebalance_interval 100 1000 & p1=$!
writer slb_move_gap 0 500 & p2=$!
writer slb_move_cooldown 5000 30000 & p3=$!
writer slb_rebalance_interval 0 5000 & p4=$!
reader >/tmp/readers.out & p5=$!
wait $p1 $p2 $p3 $p4 $p5
check_eq "readers only ever saw written values" "$(grep -c odd /tmp/readers.out)" 0
[ ! -s /tmp/readers.out ] || log "$(sort /tmp/readers.out | uniq -c | head -5)"
check "bond still forwards" ns_ping vm0 "$SRV_IP4"
end_test
