#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb under churn.  Traffic from 3 x 256 MACs (untagged, VLAN 10,
# VLAN 20), a numbered stream from one stable MAC to the server and numbered
# broadcasts from the server to the host, while the control path is kept
# busy at random: a slave is released and enslaved again, switch ports
# flap, options change, MACs are migrated by hand, /proc and debugfs are
# read, and a second bond cycles through every mode.  At the end both bonds
# are deleted and the module unloaded.
# Pass: no duplicated frame in either numbered stream, the bond still
# forwards, the module unloads (refcount back to zero), and the harness finds
# no kernel warning, report or stuck unregister_netdevice in the log.
# Length: slb.stress_secs=N on the kernel command line (default 20).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SECS=20
for a in $(cat /proc/cmdline); do
	case $a in slb.stress_secs=*) SECS=${a#slb.stress_secs=} ;; esac
done
SYS=/sys/class/net/bond0/bonding
S=02:92:00:00:00:01
log "stress for $SECS s"

load_bonding
topo_switch 3
topo_bond bond0 balance-slb miimon 50
topo_vms 0
gen_add
in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
echo 1000 >$SYS/slb_rebalance_interval
echo 2000 >$SYS/slb_move_cooldown
must ip link add bond1 type bond
SLB_LINKS+=(bond1 dum0 dum1)
must ip link add dum0 type dummy
must ip link add dum1 type dummy

# numbered streams: stable MAC -> server, server broadcasts -> host
in_ns srv slbgen recv srv0 -t $((SECS + 4)) >/tmp/stress-tx.out 2>/dev/null &
SLB_PIDS+=($!)
in_ns gen slbgen recv gen0 -t $((SECS + 4)) >/tmp/stress-rx.out 2>/tmp/stress-rx.err &
SLB_PIDS+=($!)
sleep 0.3
in_ns gen slbgen send gen0 -s $S -c 0 -t $((SECS + 1)) -r 300 -d $SRV_MAC >/tmp/stress-s.sent &
SLB_PIDS+=($!)
in_ns srv slbgen send srv0 -s $SRV_MAC -c 0 -t $((SECS + 1)) -r 200 >/tmp/stress-b.sent &
SLB_PIDS+=($!)
# background: 256 MACs each untagged and on VLANs 10 and 20
for v in 0 10 20; do
	vopt=()
	[ $v -gt 0 ] && vopt=(-v $v)
	in_ns gen slbgen send gen0 -s "02:93:00:$(printf %02x $v):00:00" -n 256 -c 0 \
		-t $((SECS + 1)) -r 400 -l 200 "${vopt[@]}" -d $SRV_MAC >/dev/null &
	SLB_PIDS+=($!)
done

modes=(balance-rr active-backup balance-xor broadcast 802.3ad balance-tlb balance-alb balance-slb)
actions=0
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ]; do
	actions=$((actions + 1))
	act=$((RANDOM % 7))
	# the action and when (about the clock of slbgen's duplicates: no suspend here)
	echo "$(cut -d' ' -f1 /proc/uptime) action $act" >>/tmp/stress-actions
	case $act in
	0)	# release and enslave again
		ip link set eth2 nomaster 2>/dev/null
		sleep 0.$((RANDOM % 5))
		ip link set eth2 master bond0 2>/dev/null ;;
	1)	# a cable flaps
		p=swp$((RANDOM % 3))
		ip -n sw link set $p down
		sleep 0.$((RANDOM % 4))
		ip -n sw link set $p up ;;
	2)	# options
		echo $(((RANDOM % 3) * 500)) >$SYS/slb_rebalance_interval 2>/dev/null
		echo $(((RANDOM % 3) * 25)) >$SYS/slb_move_gap 2>/dev/null
		echo $(((RANDOM % 3) * 1000)) >$SYS/slb_move_cooldown 2>/dev/null
		echo "eth$((RANDOM % 4))" >$SYS/primary 2>/dev/null ;;
	3)	# manual migrations, some to slaves that are down or gone
		for i in 1 2 3 4; do
			m=$(printf '02:93:00:%02x:00:%02x' $(((RANDOM % 3) * 10)) $((RANDOM % 256)))
			echo "$m $(((RANDOM % 3) * 10)) eth$((RANDOM % 3))" >$SYS/slb_migrate 2>/dev/null
		done ;;
	4)	# readers
		cat /proc/net/bonding/bond0 $SLB_DBG/bond0/slb_buckets >/dev/null 2>&1 ;;
	5)	# another bond changes mode, balance-slb among them
		ip link set bond1 down
		ip link set dum0 nomaster 2>/dev/null
		ip link set dum1 nomaster 2>/dev/null
		echo "${modes[RANDOM % ${#modes[@]}]}" >/sys/class/net/bond1/bonding/mode 2>/dev/null
		ip link set dum0 master bond1 2>/dev/null
		ip link set dum1 master bond1 2>/dev/null
		ip link set bond1 up ;;
	6)	# bond0 down and up with traffic and timers pending
		ip link set bond0 down
		sleep 0.$((RANDOM % 3))
		ip link set bond0 up ;;
	esac
	sleep 0.$((RANDOM % 3))
done
log "$actions control actions in $SECS s"
for i in 0 1 2; do ip -n sw link set swp$i up; ip link set eth$i master bond0 2>/dev/null; done
ip link set bond0 up
sleep 4
for p in "${SLB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
SLB_PIDS=()

d_tx=$(awk -v m=$S 'tolower($2) == m { s += $7 } END { print s + 0 }' /tmp/stress-tx.out)
n_tx=$(awk -v m=$S 'tolower($2) == m { s += $4 } END { print s + 0 }' /tmp/stress-tx.out)
d_rx=$(awk -v m=${SRV_MAC,,} 'tolower($2) == m { s += $7 } END { print s + 0 }' /tmp/stress-rx.out)
n_rx=$(awk -v m=${SRV_MAC,,} 'tolower($2) == m { s += $4 } END { print s + 0 }' /tmp/stress-rx.out)
log "stable MAC to server: $n_tx of $(awk '{ print $2 }' /tmp/stress-s.sent) frames, $d_tx duplicated"
log "server broadcasts to host: $n_rx of $(awk '{ print $2 }' /tmp/stress-b.sent) frames, $d_rx duplicated"
check "stable MAC's stream arrived ($n_tx frames)" test "$n_tx" -gt 0
check_eq "stable MAC's frames never duplicated" "$d_tx" 0
check "server's broadcasts arrived ($n_rx frames)" test "$n_rx" -gt 0
if [ "$d_rx" != 0 ]; then
	log "duplicates and the control actions before them (0 release, 1 flap, 2 options, 3 migrate, 4 read, 5 bond1, 6 bond0 down/up):"
	grep duplicate /tmp/stress-rx.err
	cat /tmp/stress-actions
fi
check_eq "server's broadcasts never duplicated" "$d_rx" 0
in_ns srv slbgen recv srv0 -t 2 >/tmp/stress-after.out 2>/dev/null &
rpid=$!
sleep 0.3
gen_send -s 02:92:00:00:00:02 -c 50 -r 100 -d $SRV_MAC >/dev/null
wait $rpid
n=$(awk '$2 == "02:92:00:00:00:02" { s += $4 } END { print s + 0 }' /tmp/stress-after.out)
check "bond0 still forwards after the churn ($n of 50)" test "$n" -ge 45
check "/proc/net/bonding/bond0 reads" grep -q "balance-slb" /proc/net/bonding/bond0

cleanup_topo
check "module unloads (refcount zero)" modprobe -r bonding
check_fail "module gone" test -d /sys/module/bonding
end_test
