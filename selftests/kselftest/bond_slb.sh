#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test bonding mode balance-slb (7): a hypervisor host's VMs behind a bridge
# on a bond whose two links go to one switch that knows nothing of the bond.
# Checks the mode's options, that the VMs' source MACs are spread over both
# links, that a broadcast arrives once and nothing loops back into the
# host's bridge, and that the VMs keep their connectivity when a link fails.
#
#   vm1           vm2                  vm8     each VM: own netns, eth0 with
#   eth0          eth0       ...       eth0    02:00:00:5b:00:0N, 192.0.2.N/24
#    |             |                    |
#  +-|-------------|--------------------|-+
#  | vm1          vm2        ...      vm8 |  host
#  |  +-------------+-----------------+    |
#  |                |                      |
#  |               br0                     |
#  |                |                      |
#  |              bond0  balance-slb       |
#  |            eth0  eth1   miimon 100    |
#  +-------------|-----|-------------------+
#                |     |
#  +-------------|-----|-------------------+
#  |           swp0  swp1                  |  switch
#  |             +--+--+                   |
#  |               br0                     |
#  |                |                      |
#  |               srv                     |
#  +----------------|----------------------+
#                   |
#                  eth0  192.0.2.100/24       server

# tests_run, slowwait and defer call the functions below
# shellcheck disable=SC2317,SC2329

# shellcheck disable=SC2034
ALL_TESTS="
	slb_options
	slb_spread
	slb_broadcast_once
	slb_no_loop
	slb_failover
"

# shellcheck disable=SC2034
REQUIRE_MZ=no
# shellcheck disable=SC2034
NUM_NETIFS=0
lib_dir=$(dirname "$0")
# shellcheck disable=SC1091
source "$lib_dir"/../../../net/forwarding/lib.sh

NUM_VMS=8
NUM_BUCKETS=256		# source MAC hash buckets of a balance-slb bond
srv_ip4="192.0.2.100"
bcast_ip4="192.0.2.255"
bcast_count=5
# named by setup_ns
sw_ns=""
host_ns=""
srv_ns=""

vm_ip4()
{
	echo "192.0.2.$1"
}

vm_mac()
{
	printf "02:00:00:5b:00:%02x" "$1"
}

vm_ns()
{
	local var="vm$1"

	echo "${!var}"
}

switch_create()
{
	ip -n "$sw_ns" link add br0 type bridge
	ip -n "$sw_ns" link set br0 up

	ip -n "$srv_ns" link add eth0 type veth peer name srv netns "$sw_ns"
	ip -n "$sw_ns" link set srv master br0
	ip -n "$sw_ns" link set srv up
	ip -n "$srv_ns" addr add "$srv_ip4"/24 dev eth0
	ip -n "$srv_ns" link set eth0 up
}

host_create()
{
	local i

	if ! ip -n "$host_ns" link add bond0 type bond mode balance-slb \
		miimon 100 slb_rebalance_interval 1000 slb_move_gap 50 \
		slb_move_cooldown 30000; then
		echo "SKIP: bonding mode balance-slb not supported by the kernel or ip"
		# shellcheck disable=SC2154
		exit "$ksft_skip"
	fi

	for i in 0 1; do
		ip -n "$host_ns" link add eth$i type veth \
			peer name swp$i netns "$sw_ns"
		ip -n "$sw_ns" link set swp$i master br0
		ip -n "$sw_ns" link set swp$i up
		ip -n "$host_ns" link set eth$i master bond0
	done

	ip -n "$host_ns" link add br0 type bridge
	ip -n "$host_ns" link set bond0 master br0
	ip -n "$host_ns" link set bond0 up
	ip -n "$host_ns" link set br0 up
}

vm_create()
{
	local i=$1
	local ns

	ns=$(vm_ns "$i")
	ip -n "$host_ns" link add vm"$i" type veth peer name eth0 netns "$ns"
	ip -n "$host_ns" link set vm"$i" master br0
	ip -n "$host_ns" link set vm"$i" up

	ip -n "$ns" link set eth0 address "$(vm_mac "$i")"
	ip -n "$ns" addr add "$(vm_ip4 "$i")"/24 dev eth0
	ip -n "$ns" link set eth0 up

	# count the ICMP broadcasts that reach the VM
	tc -n "$ns" qdisc add dev eth0 clsact
	tc -n "$ns" filter add dev eth0 ingress handle 101 pref 1 \
		protocol ip flower dst_mac ff:ff:ff:ff:ff:ff ip_proto icmp \
		action pass
}

setup_prepare()
{
	local vms=()
	local i

	for i in $(seq "$NUM_VMS"); do
		vms+=("vm$i")
	done
	setup_ns sw_ns host_ns srv_ns "${vms[@]}" || exit "$ksft_skip"
	defer cleanup_all_ns

	switch_create
	host_create
	for i in $(seq "$NUM_VMS"); do
		vm_create "$i"
	done

	tc -n "$srv_ns" qdisc add dev eth0 clsact
	tc -n "$srv_ns" filter add dev eth0 ingress handle 101 pref 1 \
		protocol ip flower dst_mac ff:ff:ff:ff:ff:ff ip_proto icmp \
		action pass

	slowwait 10 bond_slaves_up 2 ||
		log_info "bond0 has not got both slaves up"
}

bond_slaves_up()
{
	local n=$1

	[ "$(ip netns exec "$host_ns" grep -c "^MII Status: up" \
		/proc/net/bonding/bond0)" -eq $((n + 1)) ]
}

bond_opt()
{
	cmd_jq "ip -n $host_ns -d -j link show bond0" \
		".[].linkinfo.info_data.$1"
}

slave_buckets()
{
	cmd_jq "ip -n $host_ns -d -j link show $1" \
		".[].linkinfo.info_slave_data.slb_buckets"
}

# the bucket counts of /proc/net/bonding/bond0, one a line, by slave
proc_buckets()
{
	# shellcheck disable=SC2016
	ip netns exec "$host_ns" awk \
		'/^Slave Interface:/ { s = $3 } /^SLB buckets:/ { print s, $3 }' \
		/proc/net/bonding/bond0
}

vm_ping()
{
	local i=$1; shift

	ip netns exec "$(vm_ns "$i")" "$PING" -q -c 1 -W 1 "$@" "$srv_ip4" \
		&>/dev/null
}

# every VM reaches the server; first within $1 seconds, then 3 in a row
all_vms_reach_server()
{
	local wait=$1
	local i

	for i in $(seq "$NUM_VMS"); do
		slowwait "$wait" vm_ping "$i"
		check_err $? "vm$i does not reach the server"
		ip netns exec "$(vm_ns "$i")" "$PING" -q -c 3 -i 0.2 -W 2 \
			"$srv_ip4" &>/dev/null
		check_err $? "vm$i loses pings to the server"
	done
}

# the switch port a VM's MAC is learned on, if any (one a line)
switch_port_of()
{
	bridge -n "$sw_ns" fdb show br br0 | \
		awk -v mac="$1" '$1 == mac && $2 == "dev" { print $3 }'
}

bcast_counter()
{
	tc_rule_handle_stats_get "dev eth0 ingress" 101 ".packets" "-n $1"
}

slb_options()
{
	local val

	RET=0

	val=$(bond_opt mode)
	[ "$val" = "balance-slb" ]
	check_err $? "mode is $val, not balance-slb"
	val=$(bond_opt slb_rebalance_interval)
	[ "$val" = 1000 ]
	check_err $? "slb_rebalance_interval is $val, not 1000"
	val=$(bond_opt slb_move_gap)
	[ "$val" = 50 ]
	check_err $? "slb_move_gap is $val, not 50"
	val=$(bond_opt slb_move_cooldown)
	[ "$val" = 30000 ]
	check_err $? "slb_move_cooldown is $val, not 30000"
	log_test "balance-slb options at link add"

	RET=0
	ip -n "$host_ns" link set bond0 type bond slb_move_gap 20
	check_err $? "slb_move_gap 20 refused"
	defer ip -n "$host_ns" link set bond0 type bond slb_move_gap 50
	val=$(bond_opt slb_move_gap)
	[ "$val" = 20 ]
	check_err $? "slb_move_gap is $val after setting 20"
	log_test "balance-slb option change"

	RET=0
	ip -n "$host_ns" link set bond0 type bond slb_move_gap 5000 &>/dev/null
	check_fail $? "slb_move_gap 5000 accepted"
	val=$(bond_opt slb_move_gap)
	[ "$val" = 20 ]
	check_err $? "slb_move_gap is $val after a refused 5000"
	ip -n "$host_ns" link set bond0 type bond slb_rebalance_interval 50 \
		&>/dev/null
	check_fail $? "slb_rebalance_interval 50 accepted"
	val=$(bond_opt slb_rebalance_interval)
	[ "$val" = 1000 ]
	check_err $? "slb_rebalance_interval is $val after a refused 50"
	log_test "balance-slb out of range options refused"
}

slb_spread()
{
	local busy=0
	local ports
	local slave
	local i n

	RET=0

	all_vms_reach_server 10

	for slave in eth0 eth1; do
		n=$(slave_buckets "$slave")
		check_err $? "no slb_buckets for $slave in ip -d -j link"
		[ "${n:-0}" -gt 0 ]
		check_err $? "$slave carries no buckets (ip -d -j link)"
		ip netns exec "$host_ns" grep -q "^Slave Interface: $slave" \
			/proc/net/bonding/bond0
		check_err $? "$slave not in /proc/net/bonding/bond0"
	done
	n=$(proc_buckets | awk '$2 > 0' | wc -l)
	[ "$n" -eq 2 ]
	check_err $? "/proc/net/bonding/bond0 has $n slaves with buckets"

	# on the wire: every MAC on one link, some on each
	for i in $(seq "$NUM_VMS"); do
		ports=$(switch_port_of "$(vm_mac "$i")")
		[ "$(echo "$ports" | wc -w)" -eq 1 ]
		check_err $? "switch learned vm$i on \"$ports\""
		[ "$ports" != swp1 ] || busy=$((busy + 1))
	done
	[ "$busy" -gt 0 ] && [ "$busy" -lt "$NUM_VMS" ]
	check_err $? "$busy of $NUM_VMS VMs on swp1"

	[ "$RET" -eq 0 ] || ip netns exec "$host_ns" cat /proc/net/bonding/bond0
	log_test "balance-slb spreads the VMs over both slaves"
}

slb_broadcast_once()
{
	local before=()
	local i n

	RET=0

	for i in $(seq "$NUM_VMS"); do
		before[i]=$(bcast_counter "$(vm_ns "$i")")
	done
	before[0]=$(bcast_counter "$srv_ns")

	# the switch floods the server's broadcast to both slaves
	ip netns exec "$srv_ns" "$PING" -q -b -c "$bcast_count" -i 0.2 -W 1 \
		"$bcast_ip4" &>/dev/null
	# vm1's goes to the other VMs through br0 and to the switch over
	# one slave, which floods it back to the other one
	ip netns exec "$(vm_ns 1)" "$PING" -q -b -c "$bcast_count" -i 0.2 -W 1 \
		"$bcast_ip4" &>/dev/null
	sleep 1

	n=$(($(bcast_counter "$srv_ns") - before[0]))
	[ "$n" -eq "$bcast_count" ]
	check_err $? "the server got $n of vm1's $bcast_count broadcasts"
	n=$(($(bcast_counter "$(vm_ns 1)") - before[1]))
	[ "$n" -eq "$bcast_count" ]
	check_err $? "vm1 got $n of the server's $bcast_count broadcasts"
	for i in $(seq 2 "$NUM_VMS"); do
		n=$(($(bcast_counter "$(vm_ns "$i")") - before[i]))
		[ "$n" -eq $((2 * bcast_count)) ]
		check_err $? "vm$i got $n broadcasts, not $((2 * bcast_count))"
	done

	log_test "balance-slb broadcasts arrive once"
}

slb_no_loop()
{
	local fdb
	local i

	RET=0

	# fresh ARP broadcasts from every VM
	for i in $(seq "$NUM_VMS"); do
		ip -n "$(vm_ns "$i")" neigh flush dev eth0
	done
	all_vms_reach_server 10

	fdb=$(bridge -n "$host_ns" fdb show br br0 brport bond0)
	for i in $(seq "$NUM_VMS"); do
		echo "$fdb" | grep -qi "^$(vm_mac "$i") "
		check_fail $? "br0 learned vm$i's MAC on bond0"
	done

	log_test "balance-slb reflections do not reach the host bridge"
}

# Buckets are handed to slaves as MACs first use them: the survivor must
# end up with every bucket the bond has handed out, the failed slave none.
slb_failover()
{
	local before after n

	RET=0

	before=$(($(slave_buckets eth0) + $(slave_buckets eth1)))

	ip -n "$sw_ns" link set swp1 down
	defer ip -n "$sw_ns" link set swp1 up
	slowwait 10 bond_slaves_up 1
	check_err $? "bond0 did not see eth1 go down"

	all_vms_reach_server 5

	n=$(slave_buckets eth1)
	[ "${n:-1}" -eq 0 ]
	check_err $? "eth1 still holds $n buckets"
	after=$(slave_buckets eth0)
	[ "${after:-0}" -ge "$before" ] && [ "$after" -le "$NUM_BUCKETS" ]
	check_err $? "eth0 holds $after buckets, the bond had $before"
	n=$(proc_buckets | awk '$1 == "eth0" { print $2 }')
	[ "${n:-0}" -eq "$after" ]
	check_err $? "/proc/net/bonding/bond0: eth0 holds $n buckets, not $after"

	[ "$RET" -eq 0 ] || ip netns exec "$host_ns" cat /proc/net/bonding/bond0
	log_test "balance-slb failover to the surviving slave"
}

trap cleanup EXIT

setup_prepare
tests_run

exit "$EXIT_STATUS"
