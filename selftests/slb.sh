# shellcheck shell=bash
# balance-slb helpers on top of lib.sh, for the tests of the mode itself.
#
#   gen_add [NS]            netns "gen" (or NS) with one veth on hbr0: a port
#                           that carries many VM MACs, driven by slbgen
#   gen_send ARGS...        slbgen send gen0 ARGS (in the gen netns)
#   sw_recv SECS [ARGS]     slbgen recv on the switch ports, in the background;
#                           sw_recv_wait waits for it and puts its result
#                           lines in $SLB_RECV (call it directly, not in $())
#   slb_slave_of MAC [VID]  the slave debugfs says holds MAC's bucket
#   slb_bucket_of MAC [VID] that bucket's number
#   slb_settled MAC SLAVE   MAC's bucket is on SLAVE with no move waiting
#   slb_moves_of MAC        how many times MAC's bucket has moved
#   failover_trial tx|rx SLAVE MAC  frames lost when SLAVE loses carrier
#                           under a stream (sets LOST); failback_trial: when
#                           it gets it back; failover_slave
#                           tx|rx MAC says which slave carries it
#   proc_val FIELD [BOND]   value of "FIELD: value" in /proc/net/bonding
#   port_of_mac MAC         from sw_recv output: the switch ports MAC used
#   listen_bg OUT NS ARGS   slbgen recv in the background, returns once it
#                           listens (LISTEN_PID)
#   slb_two_vms PREFIX IV   the rebalancing tests' bed: bond0 over two switch
#                           ports (rebalance interval IV, no move gap), VMs
#                           behind hbr0 (gen), the server learned; VMs A
#                           (PREFIX:01) and B in other buckets, both known
#                           to the bond and moved to eth0 (sets A, B, IV and
#                           MIG, the interval's and slb_migrate's files)

SLB_BOND=${SLB_BOND:-bond0}
SLB_DBG=/sys/kernel/debug/bonding

gen_add() {
	local ns=${1:-gen}
	ns_add "$ns"
	must ip link add "vh$ns" type veth peer name "${ns}0" netns "$ns"
	SLB_LINKS+=("vh$ns")
	quiet_if "vh$ns"
	in_ns "$ns" sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"
	must ip -n "$ns" link set "${ns}0" up
	bridge_attach "vh$ns" hbr0
	must ip link set "vh$ns" up
}

gen_send() { in_ns gen slbgen send gen0 "$@"; }

sw_ports() {
	local i out=()
	for ((i = 0; i < SLB_NPORTS; i++)); do out+=("swp$i"); done
	local IFS=,
	echo "${out[*]}"
}

# sw_recv SECS [slbgen recv options]: capture on all switch ports
sw_recv() {
	local secs=$1
	shift
	SLB_RECV_OUT=$(mktemp)
	in_ns sw slbgen recv "$(sw_ports)" -t "$secs" "$@" >"$SLB_RECV_OUT" 2>/dev/null &
	SLB_RECV_PID=$!
	sleep 0.3
}
sw_recv_wait() { wait "$SLB_RECV_PID"; SLB_RECV=$(cat "$SLB_RECV_OUT"); }
# sw_recv_stop: end sw_recv now (it still reports what it counted)
sw_recv_stop() { stop_bg "$SLB_RECV_PID"; SLB_RECV=$(cat "$SLB_RECV_OUT"); }

# port_of_mac MAC FILE: switch ports that saw frames from MAC (by count)
port_of_mac() {
	awk -v m="$1" '$2 == m && $4 > 0 { print $1 }' "$2" | sort | tr '\n' ' ' | sed 's/ $//'
}

slb_line() { grep -i " $1/${2:-0}\( \|$\)" "$SLB_DBG/$SLB_BOND/slb_buckets"; }
slb_slave_of() { slb_line "$@" | awk '{ print $2 }'; }
slb_bucket_of() { slb_line "$@" | awk '{ print $1 }'; }
slb_settled() { slb_line "$1" | awk -v s="$2" '$2 == s && $6 == "-" { ok = 1 } END { exit !ok }'; }
slb_moves_of() { slb_line "$1" | awk '{ print $5 }'; }
proc_val() {
	awk -F': ' -v f="$1" '$1 == f { split($2, v, " "); print v[1]; exit }' \
		"/proc/net/bonding/${2:-$SLB_BOND}"
}

# proc_at_least FIELD N: FIELD of /proc/net/bonding/bond0 is N or more (for
# wait_for, where the last frames may still wait in a backlog)
proc_at_least() { [ "$(proc_val "$1")" -ge "$2" ]; }

# the n-th MAC slbgen uses for -s BASE (BASE's last byte must leave room)
gen_mac() { printf '%s:%02x' "${1%:*}" $((0x${1##*:} + $2)); }

# failover_trial tx|rx SLAVE MAC: FO_N frames at FO_RATE/s (default 6000 at
# 2000/s), from vm MAC to the server (tx) or broadcast from the server to
# the gen netns (rx); SLAVE's switch port goes down after 1 s and comes back
# at the end.  LOST = frames sent - frames received, less what was dropped
# outside the bond: by the receiving socket (slbgen's own count) and by a
# full input backlog (softnet_stat), which a generator catching up after a
# stall on a busy TCG host overflows now and then; both are logged.
FO_RATE=${FO_RATE:-2000}
FO_N=${FO_N:-6000}
failover_trial() {
	fo_stream_start "$1" "$2" "$3"
	sleep 1
	must ip -n sw link set "$FO_PORT" down
	fo_stream_end
	must ip -n sw link set "$FO_PORT" up
	failover_wait_up
	sleep 0.5
}

# failback_trial tx|rx SLAVE MAC: the same stream, but SLAVE's switch port
# is down from the start and comes back after 1 s (LOST as above)
failback_trial() {
	must ip -n sw link set "sw${2/eth/p}" down
	sleep 1
	fo_stream_start "$1" "$2" "$3"
	sleep 1
	must ip -n sw link set "$FO_PORT" up
	fo_stream_end
	failover_wait_up
	sleep 0.5
}

# failover_wait_up: all slaves up again (a bench comparing other systems
# than a bond redefines it)
failover_wait_up() {
	wait_for -t 5 sh -c "[ \$(grep -c 'MII Status: up' /proc/net/bonding/$SLB_BOND) -eq 3 ]"
}

# fo_stream_start tx|rx SLAVE MAC / fo_stream_end: the stream of the
# trials and its count (FO_PORT: SLAVE's switch port)
fo_stream_start() {
	FO_DIR=$1
	FO_PORT="sw${2/eth/p}"
	FO_MAC=$3
	# the receiver runs until the sender is done (a slow kernel sends
	# for longer than FO_N / FO_RATE), then a moment for the last frames
	FO_BACKLOG0=$(softnet_drops)
	FO_CUT0=$(port_rx_dropped "$FO_PORT")
	if [ "$FO_DIR" = tx ]; then
		in_ns srv slbgen recv srv0 -t 120 >/tmp/ff.out 2>/tmp/ff.err &
	else
		in_ns gen slbgen recv gen0 -t 120 >/tmp/ff.out 2>/tmp/ff.err &
	fi
	FO_RPID=$!
	sleep 0.3
	if [ "$FO_DIR" = tx ]; then
		in_ns gen slbgen send gen0 -s "$FO_MAC" -c $FO_N -r $FO_RATE -d $SRV_MAC >/tmp/ff.sent &
		FO_MAC=${FO_MAC,,}
	else
		in_ns srv slbgen send srv0 -s $SRV_MAC -c $FO_N -r $FO_RATE >/tmp/ff.sent &
		FO_MAC=${SRV_MAC,,}
	fi
	FO_SPID=$!
}

fo_stream_end() {
	local sent got sockdrops backlog cut outside
	wait $FO_SPID
	sleep 0.5
	stop_bg $FO_RPID
	sent=$(awk '$1 == "sent" { print $2 }' /tmp/ff.sent)
	# each frame once: a copy the receiver saw twice is not a lost one
	# made good (FO_DUPS: the copies)
	got=$(awk -v m="$FO_MAC" 'tolower($2) == m { s += $4 - $7 } END { print s + 0 }' /tmp/ff.out)
	FO_DUPS=$(awk -v m="$FO_MAC" 'tolower($2) == m { s += $7 } END { print s + 0 }' /tmp/ff.out)
	sockdrops=$(sed -n 's/.*socket drops //p' /tmp/ff.err | head -1)
	backlog=$(($(softnet_drops) - FO_BACKLOG0))
	cut=$(($(port_rx_dropped "$FO_PORT") - FO_CUT0))
	# Frames that reach the switch port while "ip link set down" stops it
	# (between !netif_running and the carrier loss, an RCU grace period,
	# tens of ms under TCG) are dropped before any bond could know: a
	# real link loses what is on the wire too.  6.1 counts them in
	# softnet_stat as well, 6.9+ only in the port's rx_dropped; the
	# larger of the two never counts one frame twice.
	outside=$((cut > backlog ? cut : backlog))
	LOST=$((sent - got - ${sockdrops:-0} - outside))
	[ "${sockdrops:-0}" -eq 0 ] && [ $backlog -eq 0 ] && [ $cut -eq 0 ] ||
		log "$FO_DIR stream: $((sent - got)) frames missing, of them ${sockdrops:-0} dropped by the receiving socket, $backlog by a full input backlog, $cut at $FO_PORT while it went down ($outside of both counted outside the bond)"
}

# port_rx_dropped PORT: the switch port's rx_dropped (frames it could not
# take in, full backlog or stopped)
port_rx_dropped() { in_ns sw cat "/sys/class/net/$1/statistics/rx_dropped"; }

# softnet_drops: frames dropped so far because an input backlog was full
# (second column of /proc/net/softnet_stat, hex, one line per CPU)
softnet_drops() {
	local n=0 d
	while read -r _ d _; do n=$((n + 16#$d)); done </proc/net/softnet_stat
	echo $n
}

# failover_slave tx|rx MAC: the slave that carries MAC's frames to the
# switch (by the slaves' tx counters), or that accepts broadcasts
failover_slave() {
	local s f best="" most=0 n
	declare -A before
	if [ "$1" = rx ]; then
		sed -n 's/^\(Currently Active Slave\|Broadcast\/multicast receive slave\): //p' \
			"/proc/net/bonding/$SLB_BOND" | head -1
		return
	fi
	for f in /sys/class/net/$SLB_BOND/lower_*; do
		s=${f##*lower_}
		before[$s]=$(cat "$f/statistics/tx_packets")
	done
	gen_send -s "$2" -c 50 -r 500 -d $SRV_MAC >/dev/null
	for f in /sys/class/net/$SLB_BOND/lower_*; do
		s=${f##*lower_}
		n=$(($(cat "$f/statistics/tx_packets") - before[$s]))
		((n > most)) && most=$n best=$s
	done
	echo "$best"
}

# listen_bg OUT NS|- RECV-ARGS...: slbgen recv in the background (in netns
# NS, or - for the host) writing its counts to OUT; returns once it listens,
# however slow the kernel (LISTEN_PID: wait for it, or stop_bg it)
listen_bg() {
	local out=$1 ns=$2
	shift 2
	rm -f "$out.err"
	if [ "$ns" = - ]; then
		slbgen recv "$@" >"$out" 2>"$out.err" &
	else
		in_ns "$ns" slbgen recv "$@" >"$out" 2>"$out.err" &
	fi
	LISTEN_PID=$!
	wait_for -t $((10 * SLB_SLOW)) grep -q listening "$out.err"
}

slb_two_vms() {
	local i
	IV=/sys/class/net/bond0/bonding/slb_rebalance_interval
	MIG=/sys/class/net/bond0/bonding/slb_migrate
	load_bonding
	topo_switch 2
	topo_bond bond0 balance-slb miimon 100
	echo "$2" >$IV
	# decisions, not timing: moves happen at once (45-slb-reorder tests gaps)
	echo 0 >/sys/class/net/bond0/bonding/slb_move_gap
	topo_vms 0
	gen_add
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null	# switch learns srv
	A=$1:01
	gen_send -s $A -c 2 -d $SRV_MAC >/dev/null
	for i in $(seq 2 40); do
		B=$(printf '%s:%02x' "$1" "$i")
		gen_send -s $B -c 2 -d $SRV_MAC >/dev/null
		[ "$(slb_bucket_of $B)" != "$(slb_bucket_of $A)" ] && break
	done
	log "A=$A (bucket $(slb_bucket_of $A)) B=$B (bucket $(slb_bucket_of $B))"
	check "migrate A to eth0" sh -c "echo '$A eth0' >$MIG"
	check "migrate B to eth0" sh -c "echo '$B eth0' >$MIG"
	check_eq "A on eth0" "$(slb_slave_of $A)" eth0
	check_eq "B on eth0" "$(slb_slave_of $B)" eth0
}
