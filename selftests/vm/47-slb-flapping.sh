#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb must not flap MACs between switch ports.  Four MACs on two
# slaves; X and Y swap between heavy (3 units) and light (1 unit) every
# PHASE seconds, Z and W send 1 unit steadily, so the best placement
# changes every phase.  A phase is long enough for the rebalancer's
# averaged load (about 1.2 intervals) to settle: a shorter swing is noise
# that it rightly ignores.  With slb_move_cooldown 0 the rebalancer (every
# second) chases the swing: some MAC moves twice within 10 s (control run:
# the check can fail).  With a cooldown of 10 s no MAC moves twice within
# 10 s.  With steady traffic the moves stop: after convergence the move
# counter stays flat for 5 intervals.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
UNIT=100	# frames/s of 1500 bytes: 150 kB/s
PHASE=5		# seconds
PHASES=8
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
echo 0 >$SYS/slb_move_gap	# count decisions, not gaps
topo_vms 0
gen_add
in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null

check_eq "default slb_move_cooldown is 60 s" "$(cat $SYS/slb_move_cooldown)" 60000
for bad in -1 86400001 1e3 "" 99999999999; do
	check_fail "slb_move_cooldown '$bad' refused" sh -c "echo '$bad' >$SYS/slb_move_cooldown"
done
check_eq "slb_move_cooldown unchanged" "$(cat $SYS/slb_move_cooldown)" 60000

# four MACs in four different buckets
macs=()
declare -A used
for i in $(seq 1 80); do
	m=$(printf '02:47:00:00:00:%02x' "$i")
	gen_send -s "$m" -c 2 -d $SRV_MAC >/dev/null
	b=$(slb_bucket_of "$m")
	[ -n "${used[$b]:-}" ] && continue
	used[$b]=1
	macs+=("$m")
	[ ${#macs[@]} -eq 4 ] && break
done
[ ${#macs[@]} -eq 4 ] || die "no four MACs in separate buckets"
X=${macs[0]} Y=${macs[1]} Z=${macs[2]} W=${macs[3]}
log "X=$X Y=$Y Z=$Z W=$W"

place() {	# X alone on eth0, the others on eth1: balanced for phase 0
	local m
	echo "$X eth0" >$SYS/slb_migrate
	for m in $Y $Z $W; do echo "$m eth1" >$SYS/slb_migrate; done
}
send() { in_ns gen slbgen send gen0 -s "$1" -c 0 -t "$2" -r "$3" -l 1500 -d $SRV_MAC >/dev/null; }

# swing PHASES: X and Y swap heavy/light every PHASE s; Z and W steady
swing() {
	local p hx hy pids=()
	send $Z $(($1 * PHASE)) $UNIT & pids+=($!)
	send $W $(($1 * PHASE)) $UNIT & pids+=($!)
	for ((p = 0; p < $1; p++)); do
		if ((p % 2)); then hx=$UNIT hy=$((3 * UNIT)); else hx=$((3 * UNIT)) hy=$UNIT; fi
		send $X $PHASE $hx &
		send $Y $PHASE $hy
		wait $!
	done
	wait "${pids[@]}"
}

# centiseconds since boot
now_cs() { local u; read -r u _ </proc/uptime; echo $((${u/./} + 0)); }

# watch_swing PHASES: run the swing and sample each MAC's move count every
# 0.3 s; MIN_GAP is the shortest time (cs) between two moves of one MAC
# (0 when two fall in one sample), MOST the most moves of one MAC
watch_swing() {
	local -A cnt last
	local m c t swing_pid
	for m in $X $Y $Z $W; do cnt[$m]=$(slb_moves_of $m); last[$m]=""; done
	MIN_GAP=999999 MOST=0
	local -A moved
	for m in $X $Y $Z $W; do moved[$m]=0; done
	swing "$1" &
	swing_pid=$!
	while kill -0 $swing_pid 2>/dev/null; do
		sleep 0.3
		t=$(now_cs)
		for m in $X $Y $Z $W; do
			c=$(slb_moves_of $m)
			[ -n "$c" ] || continue
			[ "$c" = "${cnt[$m]}" ] && continue
			moved[$m]=$((moved[$m] + c - cnt[$m]))
			if [ $((c - cnt[$m])) -gt 1 ]; then
				MIN_GAP=0
			elif [ -n "${last[$m]}" ] && [ $((t - last[$m])) -lt $MIN_GAP ]; then
				MIN_GAP=$((t - last[$m]))
			fi
			cnt[$m]=$c
			last[$m]=$t
		done
	done
	wait $swing_pid
	for m in $X $Y $Z $W; do
		((moved[$m] > MOST)) && MOST=${moved[$m]}
	done
	log "moves per MAC: ${moved[$X]} ${moved[$Y]} ${moved[$Z]} ${moved[$W]}; shortest time between two moves of one MAC: $MIN_GAP cs"
}

# --- control: no cooldown, the rebalancer chases the swing --------------------
echo 0 >$SYS/slb_move_cooldown
place
sleep 0.5
echo 1000 >$SYS/slb_rebalance_interval
watch_swing $PHASES
echo 0 >$SYS/slb_rebalance_interval
check "cooldown 0: a MAC moved twice within 10 s (the test can fail)" test "$MIN_GAP" -lt 1000

# --- cooldown 10 s: no MAC moves twice within 10 s -----------------------------
echo 10000 >$SYS/slb_move_cooldown
check_eq "slb_move_cooldown reads back" "$(cat $SYS/slb_move_cooldown)" 10000
check "cooldown shown in /proc" grep -q "^Move cooldown: 10000 ms" /proc/net/bonding/bond0
place
sleep 11	# the placement moves cool down first
echo 1000 >$SYS/slb_rebalance_interval
watch_swing $PHASES
check "cooldown 10 s: the swing still moved some MAC" test "$MOST" -gt 0
# 0.3 s sampling: a move is seen up to ~0.5 s late
check "cooldown 10 s: no MAC moved twice within 9.5 s ($MIN_GAP cs)" test "$MIN_GAP" -ge 950
# moves 10 s apart: at most one per 10 s of swing, and one at its start
most=$((PHASES * PHASE / 10 + 1))
check "cooldown 10 s: at most $most moves per MAC in $((PHASES * PHASE)) s ($MOST)" \
	test "$MOST" -le $most
# every move was announced; the switch floods those back to the other
# slave, and they must not be taken for the VM migrating away
check_eq "own announcements not taken for VM migrations" \
	"$(proc_val "VM migrations seen")" 0

# --- steady traffic: converges, then nothing moves for 5 intervals -------------
# long enough for convergence (up to 45 s) and the 5 s check after it
for m in $X $Y $Z $W; do send "$m" 60 $((2 * UNIT)) & SLB_PIDS+=($!); done
# converged = no move for longer than the 10 s cooldown: a move it held
# back may still be due when it ends
last=$(proc_val "Total moves")
quiet=0
for ((t = 0; t < 45 && quiet < 12; t++)); do
	sleep 1
	now=$(proc_val "Total moves")
	if [ "$now" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; last=$now; fi
done
check "steady traffic converges within 45 s" test $quiet -ge 12
m0=$(proc_val "Total moves")
sleep 5
m1=$(proc_val "Total moves")
check_eq "steady: no move in 5 intervals" "$m1" "$m0"
echo 0 >$SYS/slb_rebalance_interval
end_test
