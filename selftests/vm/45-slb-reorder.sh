#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb reorder-free moves: eth0's queue is 20 ms deep (netem), eth1's
# is empty.  One MAC streams 1000 numbered frames/s in talkspurts (400 ms
# on, 80 ms off, like VoIP with silence suppression).  Its bucket is moved
# both ways by slb_migrate and by the rebalancer: the server sees no frame
# out of order, because a move waits for a pause longer than slb_move_gap
# (50 ms).  The same moves with slb_move_gap 0 must reorder frames, which
# proves the receiver would notice.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
A=02:45:00:00:00:01
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
echo 500 >$SYS/slb_move_cooldown
topo_vms 0
gen_add
must sh -c "echo 1 >/sys/class/net/vhgen/queues/rx-0/rps_cpus"
in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null	# switch learns srv
must tc qdisc add dev eth0 root netem delay 20ms limit 100000
# The test bed must not reorder by itself: with 2 CPUs, frames handed to
# different CPUs' backlogs (a qdisc run on the other CPU, an unpinned
# sender) can overtake each other.  Receive processing on CPU 0 only.
rps_cpu0() { must ip netns exec "$1" sh -c "echo 1 >/sys/class/net/$2/queues/rx-0/rps_cpus"; }
rps_cpu0 sw swp0
rps_cpu0 sw swp1
rps_cpu0 srv srv0
check_eq "default slb_move_gap is 50 ms" "$(cat $SYS/slb_move_gap)" 50

# two more MACs, in buckets other than A's, as ballast for the rebalancer
gen_send -s $A -c 2 -d $SRV_MAC >/dev/null
ballast=()
for i in $(seq 2 60); do
	m=$(printf '02:45:00:00:00:%02x' "$i")
	gen_send -s "$m" -c 2 -d $SRV_MAC >/dev/null
	b=$(slb_bucket_of "$m")
	[ "$b" = "$(slb_bucket_of $A)" ] && continue
	[ ${#ballast[@]} -eq 1 ] && [ "$b" = "$(slb_bucket_of "${ballast[0]}")" ] && continue
	ballast+=("$m")
	[ ${#ballast[@]} -eq 2 ] && break
done
[ ${#ballast[@]} -eq 2 ] || die "no two ballast MACs in separate buckets"
log "A=$A (bucket $(slb_bucket_of $A)), ballast ${ballast[*]}"

migrate() { echo "$1 $2" >$SYS/slb_migrate; }
# what the rebalancer saw, when it did not do what was expected
show_loads() {
	local m
	for m in $A "${ballast[@]}"; do log "bucket: $(slb_line "$m" | cut -d' ' -f1-6)"; done
	grep -E '^(Slave Interface|.*[Ll]oad|.*util)' /proc/net/bonding/bond0
}

# stream A for SECS in the background; the server counts order and loss
stream_start() {
	in_ns srv slbgen recv srv0 -t $(($1 + 2)) >/tmp/reorder.out 2>/dev/null &
	RECV_PID=$!
	sleep 0.3
	in_ns gen slbgen send gen0 -s $A -c 0 -t "$1" -r 1000 \
		-p 400,80 -l 600 -d $SRV_MAC >/dev/null &
	SEND_PID=$!
	SLB_PIDS+=($RECV_PID $SEND_PID)
}
stream_wait() {
	wait $SEND_PID
	wait $RECV_PID
	stream_result
}
stream_result() {
	REORDERED=$(awk -v m="$A" 'tolower($2) == m { print $5 }' /tmp/reorder.out)
	FRAMES=$(awk -v m="$A" 'tolower($2) == m { print $4 }' /tmp/reorder.out)
	log "server got $FRAMES frames of A, $REORDERED out of order"
}

# move A by hand N times each way (eth0 -> eth1 is the risky way)
migrate_rounds() {
	local r ok=0
	for ((r = 0; r < $1; r++)); do
		migrate $A eth1
		wait_for -t 4 slb_settled $A eth1 && ok=$((ok + 1))
		sleep 0.7
		migrate $A eth0
		wait_for -t 4 slb_settled $A eth0 && ok=$((ok + 1))
		sleep 0.7
	done
	MOVED_OK=$ok
}

# --- guard on: slb_migrate both ways -----------------------------------------
migrate $A eth0
sleep 0.5
m0=$(slb_moves_of $A)
stream_start 9
sleep 1
migrate_rounds 3
stream_wait
check_eq "migrate: all 6 moves completed" "$MOVED_OK" 6
check "migrate: A's bucket moved 6 times" test $(($(slb_moves_of $A) - m0)) -ge 6
# ~7500 frames in 9 s; a slow (debug) kernel sends fewer: the moves
# must only happen while the stream flows
check "migrate: server got the stream ($FRAMES >= 2500)" test "${FRAMES:-0}" -ge 2500
check_eq "migrate, gap 50 ms: no frame reordered" "$REORDERED" 0

# --- guard on: the rebalancer moves A both ways -------------------------------
# A (~0.5 MB/s) and two ballast MACs (75 kB/s each, in few big frames)
# all on eth0: the best move is A to eth1.  Then the ballast goes to eth1
# too: A comes back.  The ballast is light enough that A stays the best
# move even where A's generator falls far short of its rate: the debug
# kernel with three generators gave A 133 kB/s.
migrate $A eth0
for m in "${ballast[@]}"; do migrate "$m" eth0; done
sleep 2.5	# the ballast streams never pause: their moves take the max wait
# the streams last until both moves are checked, however long a slow
# kernel takes for that (wait_for counts tries, not seconds)
secs=600
stream_start $secs
ballast_pids=()
for m in "${ballast[@]}"; do
	in_ns gen slbgen send gen0 -s "$m" -c 0 -t $secs -r 50 -l 1500 -d $SRV_MAC >/dev/null &
	ballast_pids+=($!)
	SLB_PIDS+=($!)
done
sleep 4	# loads measured
m0=$(slb_moves_of $A)
# a slow kernel's generators are bursty: a longer interval averages over
# more samples, so the noise margin stays below the imbalance
iv=$((1000 * SLB_SLOW))
echo $iv >$SYS/slb_rebalance_interval
check "rebalance moved A to eth1" wait_for -t $((8 * SLB_SLOW)) slb_settled $A eth1 ||
	show_loads
echo 0 >$SYS/slb_rebalance_interval
for m in "${ballast[@]}"; do migrate "$m" eth1; done
sleep 5
echo $iv >$SYS/slb_rebalance_interval
check "rebalance moved A back to eth0" wait_for -t $((10 * SLB_SLOW)) slb_settled $A eth0 ||
	show_loads
echo 0 >$SYS/slb_rebalance_interval
sleep 1	# frames sent before the move back reach the server
for p in "$SEND_PID" "${ballast_pids[@]}"; do stop_bg "$p"; done
sleep 0.5
stop_bg "$RECV_PID"
stream_result
check "rebalance: A's bucket moved both ways" test $(($(slb_moves_of $A) - m0)) -ge 2
check_eq "rebalance, gap 50 ms: no frame reordered" "$REORDERED" 0

# --- guard off: the same migrations reorder -----------------------------------
echo 0 >$SYS/slb_move_gap
migrate $A eth0
sleep 0.5
stream_start 12
sleep 1
migrate_rounds 4
stream_wait
check_eq "gap 0: all 8 moves completed" "$MOVED_OK" 8
check "gap 0: frames reordered ($REORDERED > 0), so the check can fail" \
	test "${REORDERED:-0}" -gt 0

# bad values are refused and change nothing
for bad in -1 1001 abc ""; do
	check_fail "slb_move_gap '$bad' refused" sh -c "echo '$bad' >$SYS/slb_move_gap"
done
check_eq "slb_move_gap unchanged" "$(cat $SYS/slb_move_gap)" 0
end_test
