#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb under churn: slaves added and removed, the interval changed
# and bonds deleted while traffic flows; then the module unloads.  The
# harness fails the run on any kernel warning.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

IV=/sys/class/net/bond0/bonding/slb_rebalance_interval
load_bonding slb_rebalance_interval=500
topo_switch 4
must ip link add bond0 type bond
SLB_LINKS+=(bond0)
echo balance-slb >/sys/class/net/bond0/bonding/mode
check_eq "module parameter sets the interval" "$(cat $IV)" 500
must ip link set eth0 master bond0
must ip link set bond0 up
topo_vms 2
gen_add
# until cleanup stops it: the rounds take longer on a slow (debug) kernel
in_ns gen slbgen send gen0 -s 02:85:00:00:00:00 -n 200 -c 0 -t 300 -r 3000 -l 300 >/dev/null &
gen_pid=$!
SLB_PIDS+=($gen_pid)
in_ns vm0 ping -q -i 0.05 -c 400 $SRV_IP4 >/tmp/ping.out 2>&1 &
SLB_PIDS+=($!)
for round in 1 2 3; do
	for i in 1 2 3; do
		ip link set eth$i master bond0 || fail "round $round: enslave eth$i"
		echo $((round * 300)) >$IV
		sleep 0.5
	done
	sleep 1
	for i in 3 1; do
		ip link set eth$i nomaster || fail "round $round: release eth$i"
		sleep 0.3
	done
	ip link set eth2 nomaster
	echo 0 >$IV
	sleep 0.5
	ip -n sw link set swp0 down
	sleep 0.3
	ip -n sw link set swp0 up
	sleep 0.5
done
check "bond still has eth0" grep -q "^Slave Interface: eth0" /proc/net/bonding/bond0
check "buckets still assigned" \
	wait_for -t 3 sh -c "grep -q ' eth0 ' $SLB_DBG/bond0/slb_buckets"
cat /proc/net/bonding/bond0 >/dev/null
check "traffic still flows" ns_ping vm0 $SRV_IP4 3
stop_bg $gen_pid
# bad module parameter values are refused at load
ip link del bond0
for bad in -1 abc 50 86400001 99999999999999999999; do
	modprobe -r bonding
	check_fail "modprobe slb_rebalance_interval=$bad refused" \
		modprobe bonding max_bonds=0 slb_rebalance_interval=$bad
done
load_bonding mode=balance-slb max_bonds=1
check_eq "default interval 10000" "$(cat $IV)" 10000
for good in 0 100 86400000 10000; do
	check "interval $good accepted" sh -c "echo $good >$IV"
	check_eq "interval reads $good" "$(cat $IV)" $good
done
for bad in -1 abc 50 99 86400001 99999999999999999999 "" 1.5; do
	check_fail "interval '$bad' refused" sh -c "echo '$bad' >$IV"
	check_eq "interval unchanged after '$bad'" "$(cat $IV)" 10000
done
must ip link set bond0 up
check "rmmod with an up balance-slb bond" modprobe -r bonding
end_test
