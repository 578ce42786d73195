#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmark, run in the guest by tools/bench/datapath.sh (not a test: it
# prints figures, the host side computes the ratios).
#
# Transmit cost: pktgen sends 60-byte frames from 256 source MACs straight
# into a bond of dummy slaves, from 1 or 2 CPUs (one pktgen thread each), for
# every mode; "BENCH tx MODE SLAVES CPUS PPS" per run.  Modes are measured in
# rounds, interleaved, so slow drifts of the host hit all alike.
#
# Transmit cost at scale (under -icount): instructions per frame with 1,
# 128 and 4096 source MACs per CPU, 1 and 2 CPUs, against balance-xor:
# "BENCH scale MODE SLAVES CPUS MACS PPS".
#
# Spin locks taken per frame on the transmit path, per mode (kprobes;
# needs perf in the guest): "BENCH locks MODE SLAVES CPUS PER-1000-FRAMES".
#
# Failover: frames lost at 2000 frames/s when the slave carrying a stream
# loses carrier, same miimon for all modes: "BENCH failover MODE DIR LOST".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SECS=${BENCH_SECS:-2}
ROUNDS=${BENCH_ROUNDS:-7}
FROUNDS=${BENCH_FAILOVER_ROUNDS:-3}
SROUNDS=${BENCH_SCALE_ROUNDS:-2}
PARTS=${BENCH_PARTS:-tx failover}
MODES="active-backup xor-layer2 xor-vlan+srcmac balance-tlb balance-slb"

pg() { echo "$2" >"/proc/net/pktgen/$1" || die "pktgen $1: $2"; }

bond_up() {	# bond_up MODE SLAVES [SLB-MAC-TABLE-SIZE]
	local mode=$1 n=$2 table=${3:-} i
	ip link add bond0 type bond || die "bond0"
	case $mode in
	xor-*) ip link set bond0 type bond mode balance-xor xmit_hash_policy "${mode#xor-}" ;;
	balance-slb)
		echo balance-slb >/sys/class/net/bond0/bonding/mode
		[ -z "$table" ] ||
			echo "$table" >/sys/class/net/bond0/bonding/slb_mac_table_size ||
			die "slb_mac_table_size $table"
		;;
	*) ip link set bond0 type bond mode "$mode" ;;
	esac
	ip link set bond0 type bond miimon 100
	for ((i = 0; i < n; i++)); do
		ip link add "dum$i" type dummy
		ip link set "dum$i" master bond0
	done
	ip link set bond0 up
}
bond_down() {
	local i
	ip link del bond0
	for ((i = 0; i < 4; i++)); do ip link del "dum$i" 2>/dev/null; done
	return 0
}

# tx_run MODE SLAVES CPUS [MACS [TABLE]]: prints pps summed over the
# threads; each thread sends from MACS source MACs of its own (default 128),
# balance-slb with an slb_mac_table_size of TABLE (default: the default)
tx_run() {
	local mode=$1 n=$2 cpus=$3 macs=${4:-128} table=${5:-} t pps=0 p i
	bond_up "$mode" "$n" "$table"
	for ((t = 0; t < 2; t++)); do pg "kpktgend_$t" rem_device_all; done
	for ((t = 0; t < cpus; t++)); do
		pg "kpktgend_$t" "add_device bond0@$t"
		pg "bond0@$t" "count 0"
		pg "bond0@$t" "clone_skb 0"
		pg "bond0@$t" "pkt_size 60"
		pg "bond0@$t" "delay 0"
		pg "bond0@$t" "dst_mac 02:99:00:00:00:01"
		# threads' MAC ranges apart even at 4096 MACs each
		pg "bond0@$t" "src_mac 02:98:0$t:00:00:00"
		pg "bond0@$t" "src_mac_count $macs"
		pg "bond0@$t" "dst 198.51.100.1"
	done
	(sleep "$SECS"; echo stop >/proc/net/pktgen/pgctrl) &
	echo start >/proc/net/pktgen/pgctrl
	wait
	for ((t = 0; t < cpus; t++)); do
		# the result may land a moment after pgctrl's stop returns
		for i in 1 2 3 4 5 6 7 8 9 10; do
			p=$(grep -o '[0-9]*pps' "/proc/net/pktgen/bond0@$t" | head -1)
			[ -n "$p" ] && break
			sleep 0.2
		done
		# no rate: say why (pktgen's Result line) instead of a figure
		[ -n "$p" ] || { grep -h Result "/proc/net/pktgen/bond0@$t" >&2; pps=; break; }
		pps=$((pps + ${p%pps}))
	done
	for ((t = 0; t < 2; t++)); do pg "kpktgend_$t" rem_device_all; done
	bond_down
	echo "${pps:-none}"
}

load_bonding
modprobe pktgen || skip "no pktgen"
[ -e /proc/net/pktgen/kpktgend_1 ] || skip "pktgen needs 2 CPUs"
read -r -a modes <<<"$MODES"
[[ " $PARTS " == *" tx "* ]] || ROUNDS=0
for ((r = 1; r <= ROUNDS; r++)); do
	for n in 2 4; do
		for cpus in 1 2; do
			# each round starts at another mode: no mode always runs
			# first (or right after the same neighbour)
			for ((i = 0; i < ${#modes[@]}; i++)); do
				mode=${modes[(i + r) % ${#modes[@]}]}
				echo "BENCH tx $mode $n $cpus $(tx_run "$mode" "$n" "$cpus") round=$r"
			done
		done
	done
done

# --- transmit cost with many MACs ------------------------------------------
# Instructions per frame (run under -icount) against the number of source
# MACs each sending CPU uses and the number of CPUs sending: 1 MAC (the
# bucket and MAC table lines stay in cache), 128, 4096 (a host with many
# VMs: the MAC table's lines no longer fit in L1).  balance-slb's default
# table keeps 4096 MACs, of which one source (all of pktgen's frames come
# from skb_iif 0) may hold an eighth: "balance-slb" at 4096 MACs then
# measures MACs refused for their source's share on every frame, and
# "slb-table-64k" (slb_mac_table_size 65536) the same MACs all learned.
# "BENCH scale MODE SLAVES CPUS MACS PPS round=R"
SCALE_MODES="xor-layer2 xor-vlan+srcmac balance-slb slb-table-64k"
[[ " $PARTS " == *" scale "* ]] || SROUNDS=0
read -r -a smodes <<<"$SCALE_MODES"
for ((r = 1; r <= SROUNDS; r++)); do
	for macs in 1 128 4096; do
		for cpus in 1 2; do
			for ((i = 0; i < ${#smodes[@]}; i++)); do
				mode=${smodes[(i + r) % ${#smodes[@]}]}
				case $mode in
				slb-table-64k) ((macs == 4096)) || continue
					pps=$(tx_run balance-slb 2 "$cpus" "$macs" 65536) ;;
				*) pps=$(tx_run "$mode" 2 "$cpus" "$macs") ;;
				esac
				echo "BENCH scale $mode 2 $cpus $macs $pps round=$r"
			done
		done
	done
done

# --- spin locks per frame -------------------------------------------------------
# Every spinlock acquisition on the transmit path is a shared cache line
# written per frame: what makes a mode scale badly with CPUs on real
# hardware, and what TCG's timing cannot show.  Counted with kprobes on
# the kernel's out-of-line spin_lock functions while pktgen sends a fixed
# number of frames: "BENCH locks MODE SLAVES CPUS LOCKS-PER-1000-FRAMES".
LOCKFN="_raw_spin_lock _raw_spin_lock_bh _raw_spin_lock_irq _raw_spin_lock_irqsave"
LOCKFRAMES=20000
locks_run() {	# locks_run MODE SLAVES: spin locks per 1000 frames
	local mode=$1 n=$2 f ev=() c total=0 seen=0
	bond_up "$mode" "$n"
	pg kpktgend_0 rem_device_all
	pg kpktgend_1 rem_device_all
	pg kpktgend_0 "add_device bond0@0"
	pg bond0@0 "count $LOCKFRAMES"
	pg bond0@0 "clone_skb 0"
	pg bond0@0 "pkt_size 60"
	pg bond0@0 "dst_mac 02:99:00:00:00:01"
	pg bond0@0 "src_mac 02:98:00:00:00:00"
	pg bond0@0 "src_mac_count 128"
	pg bond0@0 "dst 198.51.100.1"
	for f in $LOCKFN; do ev+=(-e "slbbench:$f"); done
	# pgctrl start returns when the count is sent
	for c in $(perf stat -x, -a "${ev[@]}" -- sh -c 'echo start >/proc/net/pktgen/pgctrl' 2>&1 |
		   awk -F, '$3 ~ /slbbench/ { print $1 }'); do
		total=$((total + c))
		seen=$((seen + 1))
	done
	pg kpktgend_0 rem_device_all
	bond_down
	# perf counted nothing (no kprobes, no perf output): no figure, not 0
	if ((seen == 0)); then echo none; else echo $((total * 1000 / LOCKFRAMES)); fi
}
if [[ " $PARTS " == *" locks "* ]] && ! command -v perf >/dev/null; then
	echo "# no perf in the guest (install linux-perf): no lock counts"
elif [[ " $PARTS " == *" locks "* ]]; then
	tr=/sys/kernel/debug/tracing
	for f in $LOCKFN; do
		echo "p:slbbench/$f $f" >>$tr/kprobe_events || die "kprobe on $f"
	done
	for mode in "${modes[@]}"; do
		echo "BENCH locks $mode 2 1 $(locks_run "$mode" 2)"
	done
	echo >$tr/kprobe_events
fi

# --- failover ------------------------------------------------------------------
A=02:55:00:00:00:01
[[ " $PARTS " == *" failover "* ]] || FROUNDS=0
((FROUNDS == 0)) || for mode in active-backup balance-tlb balance-slb; do
	topo_switch 2
	topo_bond bond0 "$mode" miimon 100
	[ "$mode" = balance-slb ] && echo 0 >/sys/class/net/bond0/bonding/slb_rebalance_interval
	topo_vms 0
	gen_add
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
	gen_send -s $A -c 2 -d $SRV_MAC >/dev/null
	wait_for -t 5 sh -c "[ \$(grep -c 'MII Status: up' /proc/net/bonding/bond0) -eq 3 ]"
	for ((r = 1; r <= FROUNDS; r++)); do
		failover_trial tx "$(failover_slave tx $A)" $A
		echo "BENCH failover $mode tx $LOST round=$r"
		failover_trial rx "$(failover_slave rx $A)" $A
		echo "BENCH failover $mode rx $LOST round=$r"
	done
	cleanup_topo
done
pass "benchmark ran"
end_test
