#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb placement: 64 source MACs spread over 2 and over 4 slaves,
# every MAC sticks to one slave, and a new MAC goes to the least utilised
# slave rather than next to a busy one.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

BASE=02:10:00:00:01:00
for n in 2 4; do
	load_bonding
	topo_switch $n
	topo_bond bond0 balance-slb miimon 100
	echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
	topo_vms 0
	gen_add
	sw_recv 6
	# 64 MACs, 10 rounds each, to the server: one port per MAC expected
	gen_send -s $BASE -n 64 -c 640 -r 400 -d $SRV_MAC >/dev/null
	sw_recv_wait
	out=$SLB_RECV
	used=0 multi=0 missing=0
	declare -A per_port=()
	for ((i = 0; i < 64; i++)); do
		ports=$(echo "$out" | port_of_mac "$(gen_mac $BASE $i)" /dev/stdin)
		case $(echo "$ports" | wc -w) in
		0) missing=$((missing + 1)) ;;
		1) per_port[$ports]=$((${per_port[$ports]:-0} + 1)) ;;
		*) multi=$((multi + 1)) ;;
		esac
	done
	check_eq "$n slaves: every MAC seen" $missing 0
	check_eq "$n slaves: no MAC on two ports" $multi 0
	for ((p = 0; p < n; p++)); do
		c=${per_port[swp$p]:-0}
		log "$n slaves: swp$p carries $c MACs"
		# 64 MACs spread by bucket counts: each slave gets a fair share
		check "$n slaves: swp$p has a share ($c of 64)" test "$c" -ge $((64 / n / 2))
	done
	unset per_port
	# debugfs agrees with the wire
	m0=$(gen_mac $BASE 0)
	p0=$(echo "$out" | port_of_mac "$m0" /dev/stdin)
	check_eq "$n slaves: debugfs slave of $m0 matches wire" "swp${p0#swp}" \
		"swp$(slb_slave_of "$m0" | sed 's/eth//')"
	cleanup_topo
done

# least utilised: one busy MAC on a slave, new MACs go elsewhere
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
topo_vms 0
gen_add
BUSY=02:20:00:00:00:01
# until cleanup stops it: the new MACs below take long on a slow kernel
in_ns gen slbgen send gen0 -s $BUSY -c 0 -t 120 -r 3000 -l 1000 -d $SRV_MAC >/dev/null &
SLB_PIDS+=($!)
sleep 4	# a few load samples
busy_slave=$(slb_slave_of $BUSY)
check "busy MAC has a slave ($busy_slave)" test -n "$busy_slave"
gen_add gen2
for i in 1 2 3 4 5; do
	m=02:30:00:00:00:0$i
	in_ns gen2 slbgen send gen20 -s $m -c 3 -r 100 -d $SRV_MAC >/dev/null
	s=$(slb_slave_of $m)
	if [ "$(slb_bucket_of $m)" = "$(slb_bucket_of $BUSY)" ]; then
		log "$m shares the busy MAC's bucket: nothing to check"
		continue
	fi
	check "new MAC $m placed away from busy $busy_slave (on $s)" \
		test -n "$s" -a "$s" != "$busy_slave"
done
end_test
