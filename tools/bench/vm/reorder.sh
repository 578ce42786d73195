#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Guest side of make bench-reorder: where do frames get out of order when
# a talkspurt stream's bucket moves?  45-slb-reorder's topology:
#
#   gen (stream A) -- hbr0 -- bond0 -- eth0 (netem 20 ms) -- swp0 --\
#                                  \-- eth1 ----------------- swp1 --- sw -- srv
#
# A sends 1000 frames/s of 600 bytes in talkspurts (400 ms on, 80 off);
# slb_migrate moves its bucket to the other slave every 0.3-0.7 s for
# REORDER_SECS (40).  Every 600-byte frame is traced entering eth0/eth1
# (net_dev_queue) and leaving them (net_dev_xmit: for eth0, netem's
# release).  REORDER_ROUNDS (5) rounds of two runs: with every receive
# path of the test bed on CPU 0 (RPS, as 45 does) and without.  Per run,
# one "BENCH reorder" line:
#   MODE asked N moves N frames N reordered N back N late N short N
# reordered: at the server (slbgen); back: a switch within 5 ms of the
# previous one (the bond sent on the old slave again); late: the old
# slave released a frame queued before a switch after the first frame on
# the new slave; short: a switch after a pause under slb_move_gap.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SECS=${REORDER_SECS:-40}
SYS=/sys/class/net/bond0/bonding
A=02:45:00:00:00:01
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events ] || die "no tracefs"

one_run() {	# pinned|unpinned
	local mode=$1 n=0 end rpid spid
	topo_switch 2
	topo_bond bond0 balance-slb miimon 100
	echo 0 >$SYS/slb_rebalance_interval
	echo 100 >$SYS/slb_move_cooldown
	topo_vms 0
	gen_add
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
	must tc qdisc add dev eth0 root netem delay 20ms limit 100000
	if [ "$mode" = pinned ]; then
		must sh -c "echo 1 >/sys/class/net/vhgen/queues/rx-0/rps_cpus"
		in_ns sw sh -c "echo 1 >/sys/class/net/swp0/queues/rx-0/rps_cpus"
		in_ns sw sh -c "echo 1 >/sys/class/net/swp1/queues/rx-0/rps_cpus"
		in_ns srv sh -c "echo 1 >/sys/class/net/srv0/queues/rx-0/rps_cpus"
	fi
	gen_send -s $A -c 2 -d $SRV_MAC >/dev/null

	echo 0 >$T/tracing_on
	echo 65536 >$T/buffer_size_kb
	echo >$T/trace
	for e in net/net_dev_queue net/net_dev_xmit; do
		echo 'len == 600' >$T/events/$e/filter
		echo 1 >$T/events/$e/enable
	done
	echo 1 >$T/tracing_on
	in_ns srv slbgen recv srv0 -t $((SECS + 3)) >/tmp/ro.out 2>/dev/null &
	rpid=$!
	sleep 0.3
	in_ns gen slbgen send gen0 -s $A -c 0 -t "$SECS" -r 1000 -p 400,80 -l 600 \
		-d $SRV_MAC >/dev/null &
	spid=$!
	sleep 0.5
	end=$(($(cut -d. -f1 /proc/uptime) + SECS - 1))
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		echo "$A eth$(((n + 1) % 2))" >$SYS/slb_migrate
		n=$((n + 1))
		sleep 0.$((3 + RANDOM % 5))
	done
	wait $spid
	sleep 1
	stop_bg $rpid
	echo 0 >$T/tracing_on
	for e in net/net_dev_queue net/net_dev_xmit; do echo 0 >$T/events/$e/enable; done
	reord=$(awk -v m="$A" 'tolower($2) == m { print $5 }' /tmp/ro.out)
	# one pass in time order (see the header); skbaddr pairs a frame's
	# queue and xmit events (addresses are reused: the first xmit after)
	awk -v mode="$mode" -v asked=$n -v reord="${reord:-?}" '
	function flush() {
		if (!sw)
			return
		if (over > 0) nlate++
		if (gap < 50) nshort++
		if (back) nback++
	}
	/net_dev_queue:|net_dev_xmit:/ {
		t = ""; dev = ""; skb = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^[0-9]+\.[0-9]+:$/) t = substr($i, 1, length($i) - 1)
			else if ($i ~ /^dev=/) dev = substr($i, 5)
			else if ($i ~ /^skbaddr=/) skb = substr($i, 9)
		}
		if (dev != "eth0" && dev != "eth1") next
		if ($0 ~ /net_dev_queue:/) {
			nq++
			if (cur != "" && dev != cur) {
				flush()
				back = (t - swt) < 0.005
				sw++; swt = t; old = cur; gap = (t - lastq) * 1000; over = 0
			}
			cur = dev; lastq = t; pend[dev "/" skb] = t
		} else if ((dev "/" skb) in pend) {
			q = pend[dev "/" skb]; delete pend[dev "/" skb]
			if (sw && dev == old && q < swt && t > swt) over = 1
		}
	}
	END {
		flush()
		printf "BENCH reorder %s asked %d moves %d frames %d reordered %s back %d late %d short %d\n",
			mode, asked, sw, nq, reord, nback, nlate, nshort
	}' $T/trace
	echo >$T/trace
	cleanup_topo
}

load_bonding
for ((r = 1; r <= ${REORDER_ROUNDS:-5}; r++)); do
	for mode in ${REORDER_MODES:-pinned unpinned}; do
		one_run "$mode"
	done
done
end_test
