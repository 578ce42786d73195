#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmark, run in the guest by tools/bench/peers.sh (not a test: it
# prints figures, the host side makes the table).  The same topology, the
# same traffic and the same kernel for every system:
#
#   vm0   gen (many VM MACs, slbgen)
#     \   /
#     hbr0 (Linux bridge; an OVS bridge for ovs-balance-slb)
#       |
#     bond0 (or OVS's bond port) -- eth0/eth1 -- sw: br0 -- srv
#
# Systems:
#   balance-slb      this project's mode
#   ovs-balance-slb  Open vSwitch (Debian's ovs-vswitchd), bond_mode=
#                    balance-slb, lacp off, carrier detection (its default)
#   nm-balance-slb   NetworkManager's recipe without NetworkManager: a
#                    balance-xor bond, xmit_hash_policy vlan+srcmac, and the
#                    nftables netdev rules NetworkManager documents; a link
#                    watcher rewrites the broadcast rules when a port's
#                    carrier changes, as NetworkManager does
#   balance-tlb, active-backup
# Bonds use miimon 100.  Output: "BENCH peers SYSTEM FIGURE VALUE [NOTE]",
# VALUE "n/a" with the reason as the note where a system has no such
# behaviour; "BENCH util SYSTEM SECOND ETH0-BYTES ETH1-BYTES OPT-SHARE" per
# second of the churn run.
# The part "churns" (tools/bench/churn.sh) is not run per system but on its
# own: BENCH_CHURN_RUNS churn runs of each system, interleaved (see churns
# below); its lines are "BENCH churn SYSTEM RUN SECOND ETH0-BYTES
# ETH1-BYTES OPT-SHARE", "BENCH churnfig SYSTEM RUN FIGURE VALUE" and
# "BENCH churnmv SYSTEM RUN SECOND MAC", one per move of a churn VM's MAC.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"
# the host's settings (tools/bench/peers.sh)
[ ! -f "$(dirname "$0")/../bench.env" ] || source "$(dirname "$0")/../bench.env"

SYSTEMS=${BENCH_SYSTEMS:-balance-slb ovs-balance-slb nm-balance-slb balance-tlb active-backup}
FROUNDS=${BENCH_FAILOVER_ROUNDS:-3}
CHURN_SECS=${BENCH_CHURN_SECS:-600}
CHURN_RUNS=${BENCH_CHURN_RUNS:-1}
CHURN_FIRST=${BENCH_CHURN_FIRST:-1}	# the first run's number
# run r has the schedule of seed CHURN_SEED + r: run 1 that of the part
# churn (7)
CHURN_SEED=${BENCH_CHURN_SEED:-6}
IV=10000	# rebalance interval (ms), balance-slb and Open vSwitch alike
A=02:45:00:00:00:01	# the streaming VM of the failover and move figures
G=02:46:00:00:00:01	# a VM whose own frames must not come back
M=02:47:00:00:00:01	# a VM migrating in
Q=02:48:00:00:00:01	# a quiet VM that is moved
UNKNOWN=02:49:00:00:00:01	# a MAC no switch has learned

fig() { echo "BENCH peers $SYS $*"; }

# --- Open vSwitch ----------------------------------------------------------
ovs_start() {
	mkdir -p /etc/openvswitch /var/run/openvswitch /var/log/openvswitch
	modprobe openvswitch || skip "no openvswitch module"
	ovsdb-tool create /etc/openvswitch/conf.db \
		/usr/share/openvswitch/vswitch.ovsschema || skip "no ovsdb-tool"
	ovsdb-server --remote=punix:/var/run/openvswitch/db.sock --pidfile \
		--detach --log-file 2>/dev/null || skip "ovsdb-server did not start"
	ovs-vsctl --no-wait init
	/usr/lib/openvswitch-switch/ovs-vswitchd --pidfile --detach --log-file \
		2>/dev/null || skip "ovs-vswitchd did not start"
	OVS_LOG=/var/log/openvswitch/ovs-vswitchd.log
	# a rebalance's "shift NkB of load (with hash H)" line is INFO up to
	# 3.5 and DBG from 3.6 on: logged either way
	ovs-appctl vlog/set bond:file:dbg >/dev/null
}

# --- NetworkManager's nftables recipe --------------------------------------
NFT_T="netdev nmslb"
nm_rules() {
	nft -f - <<-EOF || die "nft rules"
		table $NFT_T {
			set tagged { typeof ether saddr . vlan id; flags dynamic,timeout; timeout 5s; }
			set untagged { typeof ether saddr; flags dynamic,timeout; timeout 5s; }
			chain tx { type filter hook egress device "bond0" priority filter;
				ether type 8021q update @tagged { ether saddr . vlan id }
				ether type != 8021q update @untagged { ether saddr }
			}
			chain rx { type filter hook ingress device "bond0" priority filter;
				ether type 8021q ether saddr . vlan id @tagged drop
				ether type != 8021q ether saddr @untagged drop
			}
			chain eth0 { type filter hook ingress device "eth0" priority filter; }
			chain eth1 { type filter hook ingress device "eth1" priority filter; }
		}
	EOF
	nm_ports
}
# broadcast and multicast only on the first running port, by name
nm_ports() {
	local p first="" cmds=""
	for p in eth0 eth1; do
		cmds+="flush chain $NFT_T $p"$'\n'
		[ "$(cat "/sys/class/net/$p/carrier" 2>/dev/null)" = 1 ] || continue
		if [ -z "$first" ]; then
			first=$p
		else
			cmds+="add rule $NFT_T $p meta pkttype { broadcast, multicast } drop"$'\n'
		fi
	done
	# no port up: the first by name takes them when it comes back
	[ -n "$first" ] || cmds+="add rule $NFT_T eth1 meta pkttype { broadcast, multicast } drop"$'\n'
	nft -f - <<<"$cmds"
}
nm_watch() {
	ip -o monitor link 2>/dev/null | while read -r l; do
		case $l in *" eth0"[:@]* | *" eth1"[:@]*) nm_ports ;; esac
	done &
	NM_WATCH=$!
}

# --- systems ----------------------------------------------------------------
bridge_attach() {
	if [ "$SYS" = ovs-balance-slb ]; then
		ovs-vsctl add-port "$2" "$1" || die "ovs add-port $1"
	else
		must ip link set "$1" master "$2"
	fi
}

failover_wait_up() {
	if [ "$SYS" = ovs-balance-slb ]; then
		wait_for -t 5 sh -c "[ \$(ovs-appctl bond/show bond0 | grep -c ': enabled') -eq 2 ]"
	else
		wait_for -t 5 sh -c "[ \$(grep -c 'MII Status: up' /proc/net/bonding/bond0) -eq 3 ]"
	fi
}

sys_up() {
	SYS=$1
	topo_switch 2
	case $SYS in
	ovs-balance-slb)
		# OVS_BASIS: the Port's other_config:bond-hash-basis
		# (vswitchd/vswitch.xml), hashed with each source MAC
		ovs-vsctl add-br hbr0 -- add-bond hbr0 bond0 eth0 eth1 \
			bond_mode=balance-slb lacp=off \
			other_config:bond-rebalance-interval=$IV \
			${OVS_BASIS:+other_config:bond-hash-basis=$OVS_BASIS} ||
			die "ovs bond"
		SLB_LINKS+=(hbr0)
		ipb <<-EOF
			link set eth0 up
			link set eth1 up
			link set hbr0 up
		EOF
		vm_add 0
		;;
	nm-balance-slb)
		topo_bond bond0 balance-xor xmit_hash_policy vlan+srcmac miimon 100
		nm_rules
		nm_watch
		topo_vms 1
		;;
	balance-slb)
		topo_bond bond0 balance-slb miimon 100
		echo $IV >/sys/class/net/bond0/bonding/slb_rebalance_interval
		topo_vms 1
		;;
	*)
		topo_bond bond0 "$SYS" miimon 100
		topo_vms 1
		;;
	esac
	gen_add
	# the test bed must not reorder by itself: frames of one stream
	# spread over both CPUs' backlogs can overtake each other
	echo 1 >/sys/class/net/vhgen/queues/rx-0/rps_cpus
	for p in swp0 swp1; do in_ns sw sh -c "echo 1 >/sys/class/net/$p/queues/rx-0/rps_cpus"; done
	in_ns srv sh -c "echo 1 >/sys/class/net/srv0/queues/rx-0/rps_cpus"
	wait_for -t 10 failover_wait_up || die "$SYS: links not up"
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
	sleep 1
}

sys_down() {
	case $SYS in
	ovs-balance-slb) ovs-vsctl --if-exists del-br hbr0 ;;
	nm-balance-slb)
		kill "$NM_WATCH" 2>/dev/null
		pkill -f 'ip -o monitor link' 2>/dev/null
		# the table goes before the links it hooks
		nft delete table $NFT_T
		;;
	esac
	cleanup_topo
}

# which slave carries MAC's frames to the switch (by the links' counters)
tx_slave() {
	local p best="" most=0 n
	declare -A before
	for p in eth0 eth1; do before[$p]=$(cat "/sys/class/net/$p/statistics/tx_packets"); done
	gen_send -s "$1" -c 50 -r 500 -d $SRV_MAC >/dev/null
	for p in eth0 eth1; do
		n=$(($(cat "/sys/class/net/$p/statistics/tx_packets") - before[$p]))
		((n > most)) && most=$n best=$p
	done
	echo "$best"
}
# which slave takes broadcasts in
rx_slave() {
	case $SYS in
	ovs-balance-slb)
		ovs-appctl bond/show bond0 | sed -n 's/^active member mac: .*(\(.*\))$/\1/p' ;;
	nm-balance-slb) echo eth0 ;;
	*) failover_slave rx ;;
	esac
}

# move MAC's bucket / hash to slave TO; false where a system cannot
can_move() { [ "$SYS" = balance-slb ] || [ "$SYS" = ovs-balance-slb ]; }
move_mac() {
	local h
	case $SYS in
	balance-slb) echo "$1 $2" >/sys/class/net/bond0/bonding/slb_migrate ;;
	ovs-balance-slb)
		h=$(ovs-appctl bond/hash "$1" 0 0) || return 1
		ovs-appctl bond/migrate bond0 "$h" "$2" >/dev/null
		;;
	esac
}
NOMOVE="no way to move one MAC between live links"

# --- the figures --------------------------------------------------------------

fig_failover() {
	local r dir s
	for ((r = 1; r <= FROUNDS; r++)); do
		for dir in tx rx; do
			s=$( [ $dir = tx ] && tx_slave $A || rx_slave)
			[ -n "$s" ] || { fig "failover-$dir" n/a "no slave found"; continue; }
			failover_trial $dir "$s" $A
			fig "failover-$dir" "$LOST" "round=$r slave=$s"
			fig failover-dups "$FO_DUPS" "round=$r $dir"
			s=$( [ $dir = tx ] && tx_slave $A || rx_slave)
			# the link that carries the stream goes down unmeasured;
			# measured: its return
			failback_trial $dir "$s" $A
			fig "failback-$dir" "$LOST" "round=$r slave=$s"
			fig failover-dups "$FO_DUPS" "round=$r $dir back"
		done
	done
}
other() { [ "$1" = eth0 ] && echo eth1 || echo eth0; }

# a busy VoIP-like MAC moved 3 times each way while its first link's queue
# is 20 ms deep: frames the server saw out of order
fig_reorder() {
	can_move || { fig reorder n/a "$NOMOVE"; return; }
	local s r
	gen_send -s $A -c 2 -d $SRV_MAC >/dev/null
	move_mac $A eth0
	sleep 1
	must tc qdisc add dev eth0 root netem delay 20ms limit 100000
	in_ns srv slbgen recv srv0 -t 12 >/tmp/ro.out 2>/dev/null &
	r=$!
	sleep 0.3
	in_ns gen slbgen send gen0 -s $A -c 0 -t 9 -r 1000 -p 400,80 -l 600 -d $SRV_MAC >/dev/null &
	s=$!
	sleep 1
	for _ in 1 2 3; do
		move_mac $A eth1
		sleep 1.3
		move_mac $A eth0
		sleep 1.3
	done
	wait $s
	sleep 0.5
	stop_bg $r
	tc qdisc del dev eth0 root
	fig reorder "$(awk -v m=${A,,} 'tolower($2) == m { print $5 }' /tmp/ro.out)" \
		"frames=$(awk -v m=${A,,} 'tolower($2) == m { print $4 }' /tmp/ro.out)"
}

# count_of FILE MAC: frames from MAC in an slbgen recv output
count_of() { awk -v m="${2,,}" 'tolower($2) == m { s += $4 } END { print s + 0 }' "$1"; }

# 200 broadcasts, then 200 frames to a MAC the switch has not learned (it
# floods them to both links) from the server: copies vm0 got beyond one
fig_duplicates() {
	local got
	listen_bg /tmp/dup.out vm0 vm0 -t 60
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 200 -r 500 >/dev/null
	sleep 0.5
	stop_bg $LISTEN_PID
	got=$(count_of /tmp/dup.out $SRV_MAC)
	fig dup-broadcast $((got > 200 ? got - 200 : 0)) "got=$got of 200"
	listen_bg /tmp/dup.out vm0 vm0 -t 60 -e 88b6
	in_ns srv slbgen send srv0 -s $SRV_MAC -c 200 -r 500 -d $UNKNOWN -e 88b6 >/dev/null
	sleep 0.5
	stop_bg $LISTEN_PID
	got=$(count_of /tmp/dup.out $SRV_MAC)
	fig dup-flooded $((got > 200 ? got - 200 : 0)) "got=$got of 200"
}

# the host bridge's port for MAC (none if it has not learned it)
mac_port() {
	local no
	if [ "$SYS" = ovs-balance-slb ]; then
		no=$(ovs-appctl fdb/show hbr0 | awk -v m="${1,,}" '$3 == m { print $1 }')
		[ -n "$no" ] || { echo none; return; }
		ovs-vsctl --bare --columns=name find Interface ofport="$no" | head -1
	else
		bridge fdb show br hbr0 | awk -v m="${1,,}" '$1 == m && !/permanent/ { print $3; f = 1 }
			END { if (!f) print "none" }' | head -1
	fi
}
# a port of the bond: the switch's side of the host
behind_bond() { [ "$1" = bond0 ] || [ "$1" = eth0 ] || [ "$1" = eth1 ]; }

# 200 broadcasts from a VM: how many the bond handed back to it, and
# whether the host bridge then placed the VM behind the bond
fig_own_frames() {
	local where
	listen_bg /tmp/own.out gen gen0 -t 60
	gen_send -s $G -c 200 -r 500 >/dev/null
	sleep 0.5
	stop_bg $LISTEN_PID
	fig own-frames-back "$(count_of /tmp/own.out $G)" "of 200"
	where=$(mac_port $G)
	fig bridge-poisoned "$(behind_bond "$where" && echo yes || echo no)" "port=$where"
}

# a VM arrives by live migration: the hypervisor's RARP burst (5, as QEMU
# sends them), then the server sends it 200 frames
fig_migration() {
	local i where
	for i in 1 2 3 4 5; do
		in_ns gen slbgen announce gen0 $M >/dev/null
		sleep "0.$i"
	done
	where=$(mac_port $M)
	listen_bg /tmp/mig.out gen gen0 -t 60
	in_ns srv slbgen send srv0 -s $SRV_MAC -d $M -c 200 -r 400 >/dev/null
	sleep 0.5
	stop_bg $LISTEN_PID
	fig migration-lost $((200 - $(count_of /tmp/mig.out $SRV_MAC))) "of 200"
	fig migration-poisoned "$(behind_bond "$where" && echo yes || echo no)" "port=$where"
}

# a quiet VM's bucket (hash) is moved: does the switch learn its new
# port, and how many of 200 frames the server then sends it are lost
fig_move_quiet() {
	can_move || { fig fdb-follows n/a "$NOMOVE"; fig moved-lost n/a "$NOMOVE"; return; }
	local s to port
	s=$(tx_slave $Q)
	to=$(other "$s")
	move_mac $Q "$to"
	sleep 1
	port=$(bridge -n sw fdb show br br0 | awk -v m="${Q,,}" '$1 == m { print $3 }' | head -1)
	fig fdb-follows "$([ "$port" = "sw${to/eth/p}" ] && echo yes || echo no)" \
		"moved $s->$to, switch has it on ${port:-none}"
	listen_bg /tmp/mq.out gen gen0 -t 60
	in_ns srv slbgen send srv0 -s $SRV_MAC -d $Q -c 200 -r 400 >/dev/null
	sleep 0.5
	stop_bg $LISTEN_PID
	fig moved-lost $((200 - $(count_of /tmp/mq.out $SRV_MAC))) "of 200"
}

# vm0 sends 20 broadcasts and 20 unicasts with the server's MAC; then the
# server sends 200 frames to G (a VM on gen that talks to the server), and
# G 200 to the server
fig_spoof() {
	# G is a VM in use: it has just talked to the server
	gen_send -s $G -d $SRV_MAC -c 5 -r 100 >/dev/null
	in_ns vm0 slbgen send vm0 -s $SRV_MAC -c 20 -r 200 >/dev/null
	in_ns vm0 slbgen send vm0 -s $SRV_MAC -d 02:00:00:00:0e:01 -c 20 -r 200 >/dev/null
	listen_bg /tmp/sp.out gen gen0 -t 60
	in_ns srv slbgen send srv0 -s $SRV_MAC -d $G -c 200 -r 400 >/dev/null
	sleep 0.5
	stop_bg $LISTEN_PID
	fig spoof-from-server "$(count_of /tmp/sp.out $SRV_MAC)" "of 200 reached the VM"
	listen_bg /tmp/sp.out srv srv0 -t 60
	gen_send -s $G -d $SRV_MAC -c 200 -r 400 >/dev/null
	sleep 0.5
	stop_bg $LISTEN_PID
	fig spoof-to-server "$(count_of /tmp/sp.out $G)" "of 200 reached the server"
}

# --- many VMs with churn ------------------------------------------------------
# CHURN_SLOTS VMs send IPv4 frames (1000 bytes, each VM to its own peer
# address, as balance-tlb hashes by destination) to the router (srv) at
# rates from CHURN_RATES; every CHURN_STEP s, two VMs leave and two new
# ones (new MACs, new rates) arrive.  The schedule comes from a fixed seed:
# every system gets the same.  Each second: "BENCH util SYSTEM T BYTES0
# BYTES1 OPT" with OPT the best share of the busiest link the VMs' rates
# allow (a lower bound: max(half, the biggest VM)).
CHURN_RATES=(300 200 150 100 80 60 50 40 30 20 20 10)
CHURN_STEP=30
churn_start() {	# churn_start SLOT GEN RATE SECS
	local mac hdr
	# all bytes differ from VM to VM, as real VMs' MACs do (balance-tlb's
	# layer2 hash reads the last one only)
	# (drawn here, not in a subshell, which would reseed RANDOM)
	local r1=$((RANDOM % 256)) r2=$((RANDOM % 256))
	mac=$(printf '02:50:%02x:%02x:%02x:%02x' "$1" "$2" $r1 $r2)
	# IPv4 header: length 986, TTL 64, protocol 253 (experiments), no
	# checksum (the router drops it: it only counts), 10.0.0.1 to
	# 10.1.SLOT.GEN
	hdr=$(printf '450003da000040004%s0000%s0a01%02x%02x' 0fd 0a000001 "$1" "$2")
	# straight from ip: $! is slbgen itself (ip execs it), so kill stops
	# it; a function in the background would be a subshell that outlives
	# the kill and runs the test's EXIT trap (the cleanup) when it ends
	ip netns exec gen slbgen send gen0 -s "$mac" -c 0 -t "$4" -r "$3" -l 1000 \
		-d $SRV_MAC -e 0800 -x "$hdr" >/dev/null 2>&1 &
	CPID[$1]=$!
	CRATE[$1]=$3
	CMAC[$1]=$mac
	CBORN[$1]=$CHURN_T
}
# a sender that ended early (its pid since reused) is not killed again
churn_stop() { ! grep -qs slbgen "/proc/$1/cmdline" || kill "$1"; }
uptime_ms() { local u; read -r u _ </proc/uptime; echo $((${u/./} * 10)); }
churn_opt() {	# prints the best share of the busiest link, in 1/1000
	local r sum=0 max=0
	for r in "${CRATE[@]}"; do
		sum=$((sum + r))
		((r > max)) && max=$r
	done
	echo $(((max * 2 > sum ? max : (sum + 1) / 2) * 1000 / sum))
}
# the system's count of MAC (bucket or hash) moves so far; empty where it
# has none
churn_moves() {
	case $SYS in
	balance-slb) proc_val "Total moves" ;;
	ovs-balance-slb) grep -c 'kB of load' "$OVS_LOG" ;;
	esac
}

# Per-MAC moves (churn_run's TRACK), what a switch's MAC-flap detection
# counts.  balance-slb: each second the bucket table (debugfs, mounted by
# the VM's init) is read; a churn VM's MAC listed under a bucket whose
# move count rose (or whose slave changed) moved that many times: a
# bucket's move moves every MAC in it, and the module announces every MAC
# it knows in the bucket, so MACs of VMs that left and are not yet aged
# out count too.  Open vSwitch: at the end of the run, each "shift ...
# (with hash H)" line of its log is a move of every churn VM's MAC that
# hashes to H (ovs-appctl bond/hash MAC 0 BASIS: untagged) and was sending
# then; the line's timestamp (UTC, ms) gives the second.
SLB_TABLE=$SLB_DBG/$SLB_BOND/slb_buckets
# The second of a bucket's move is the table's (its since_move_ms): not
# one of the polling.
slb_churn_poll() {	# slb_churn_poll MS-SINCE-T0
	: >/tmp/churn.slb.new
	awk -v now="$1" -v pre="BENCH churnmv $SYS $CHURN_RUN" -v st=/tmp/churn.slb '
	FILENAME == st { sl[$1] = $2; nm[$1] = $3; next }
	!/^#/ { for (i = 7; i <= NF; i++) if ($i ~ /^02:50:/) {
		m = $i
		if (m in nm) {
			d = $5 - nm[m]
			if (d < 1 && $2 != sl[m]) d = 1
			t = ($4 == "never" ? now : now - $4) / 1000
			for (mac = m; d > 0; d--) {
				sub(/\/.*/, "", mac)
				printf "%s %.2f %s\n", pre, t, mac
			}
		}
		print m, $2, $5 >(st ".new")
	} }' /tmp/churn.slb "$SLB_TABLE"
	mv /tmp/churn.slb.new /tmp/churn.slb
}
ovs_churn_moves() {	# ovs_churn_moves LOG-LINES-BEFORE CLOCK-AT-T0
	local line0=$1 clock0=$2 l
	for l in "${CLIFE[@]}"; do
		echo "$(ovs-appctl bond/hash "${l%% *}" 0 "${OVS_BASIS:-0}") $l"
	done >/tmp/churn.hash
	# hashes of the VMs sending at the end that bond/show lists with load:
	# the hash of bond/hash is the one the datapath uses
	echo "BENCH churnfig $SYS $CHURN_RUN hashes-with-load $(ovs-appctl bond/show bond0 |
		awk 'FILENAME != "-" { if ($4 == end) h[$1] = 1; next }
		$1 == "hash" { sub(/:$/, "", $2); l[$2] = 1 }
		END { for (k in h) { n++; s += (k in l) } printf "%d/%d\n", s, n }' \
		end="$CHURN_T" /tmp/churn.hash -)"
	tail -n +$((line0 + 1)) "$OVS_LOG" | grep 'kB of load' | awk -F'|' -v t0="$clock0" \
		-v pre="BENCH churnmv $SYS $CHURN_RUN" '
	function sod(c) { split(c, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
	FILENAME != "-" { split($0, f, " "); k = n[f[1]] += 1
		mac[f[1], k] = f[2]; from[f[1], k] = f[3]; to[f[1], k] = f[4]; next }
	{	t = sod(substr($1, 12, 12)) - sod(t0)
		if (t < -43200) t += 86400
		h = $0; sub(/.*with hash /, "", h); sub(/\).*/, "", h)
		for (i = 1; i <= n[h]; i++)
			if (from[h, i] <= t && t <= to[h, i] + 1)
				printf "%s %.2f %s\n", pre, t, mac[h, i]
	}' /tmp/churn.hash -
}

# churn_run SEED TAG [TRACK]: one churn run of CHURN_SECS s with SEED's
# schedule, "BENCH TAG T BYTES0 BYTES1 OPT" each second; CHURN_MOVES: the
# system's moves in it (empty: none counted).  TRACK: the per-MAC moves too
# (CHURN_RUN: the run's number in their lines)
churn_run() {
	local n=${#CHURN_RATES[@]} i t t0 step gen=0 b0 b1 p0 p1 moves0 line0 clock0
	CPID=() CRATE=() CMAC=() CBORN=() CLIFE=() CHURN_T=0
	RANDOM=$1
	for ((i = 0; i < n; i++)); do
		churn_start $i 0 "${CHURN_RATES[i]}" $((CHURN_SECS + 10))
	done
	moves0=$(churn_moves)
	[ -z "${3:-}" ] || case $SYS in
	balance-slb) : >/tmp/churn.slb ;;
	ovs-balance-slb) line0=$(wc -l <"$OVS_LOG") ;;
	esac
	p0=$(cat /sys/class/net/eth0/statistics/tx_bytes)
	p1=$(cat /sys/class/net/eth1/statistics/tx_bytes)
	t0=$(uptime_ms)
	clock0=$(date -u +%H:%M:%S.%N)
	step=1
	# by the clock, not by iterations: reading the counters takes time
	while :; do
		sleep 1
		t=$((($(uptime_ms) - t0) / 1000))
		((t < CHURN_SECS)) || break
		b0=$(cat /sys/class/net/eth0/statistics/tx_bytes) || die "$SYS: eth0 gone"
		b1=$(cat /sys/class/net/eth1/statistics/tx_bytes) || die "$SYS: eth1 gone"
		echo "BENCH $2 $t $((b0 - p0)) $((b1 - p1)) $(churn_opt)"
		p0=$b0 p1=$b1
		[ -z "${3:-}" ] || [ "$SYS" != balance-slb ] || [ ! -r "$SLB_TABLE" ] ||
			slb_churn_poll $(($(uptime_ms) - t0))
		((t >= step * CHURN_STEP)) || continue
		step=$((step + 1))
		CHURN_T=$t
		for _ in 1 2; do
			i=$((RANDOM % n))
			gen=$((gen + 1))
			churn_stop "${CPID[i]}"
			CLIFE+=("${CMAC[i]} ${CBORN[i]} $t")
			churn_start $i $gen "${CHURN_RATES[RANDOM % n]}" $((CHURN_SECS + 10))
		done
	done
	CHURN_T=$t
	for ((i = 0; i < n; i++)); do CLIFE+=("${CMAC[i]} ${CBORN[i]} $t"); done
	# only the senders: the NetworkManager watcher runs on
	for i in "${CPID[@]}"; do churn_stop "$i"; wait "$i" 2>/dev/null; done
	CHURN_MOVES=
	[ -z "$moves0" ] || CHURN_MOVES=$(($(churn_moves) - moves0))
	[ -z "${3:-}" ] || [ "$SYS" != ovs-balance-slb ] || ovs_churn_moves "$line0" "$clock0"
}
fig_churn() {
	churn_run 7 "util $SYS"
	case $SYS in
	balance-slb | ovs-balance-slb) fig churn-moves "$CHURN_MOVES" "in ${CHURN_SECS} s" ;;
	balance-tlb) fig churn-moves n/a "balances by destination, not by VM MAC" ;;
	*) fig churn-moves 0 "static placement" ;;
	esac
}

# --- instructions per frame ----------------------------------------------------
# Run under QEMU -icount (the host asks for a boot of its own): the guest
# clock advances 1 ns per instruction, so 1e9 / packets-per-second is what
# a frame costs, here on the whole path from a VM's port through the host
# bridge (or OVS), the bond and the switch to the server.  pktgen sends
# from the VM side (netns gen) with 128 source MACs; "delivered" says how
# many of its frames reached the server's switch port (a full backlog
# would make the rate a cost of dropping).
pgn() { in_ns gen sh -c "echo '$2' >/proc/net/pktgen/$1" || die "pktgen $1: $2"; }
fig_insn() {
	local pps out0 out1 sent stopper
	modprobe pktgen || { fig insn n/a "no pktgen"; return; }
	pgn kpktgend_0 rem_device_all
	pgn kpktgend_0 "add_device gen0"
	pgn gen0 "count 0"
	pgn gen0 "clone_skb 0"
	pgn gen0 "pkt_size 60"
	pgn gen0 "delay 0"
	pgn gen0 "dst_mac $SRV_MAC"
	pgn gen0 "src_mac 02:51:00:00:00:00"
	pgn gen0 "src_mac_count 128"
	pgn gen0 "dst 198.51.100.1"
	# first a warm-up: Open vSwitch sets up its flows on the first frames
	(sleep 1; in_ns gen sh -c 'echo stop >/proc/net/pktgen/pgctrl') &
	stopper=$!
	in_ns gen sh -c 'echo start >/proc/net/pktgen/pgctrl'
	wait $stopper
	out0=$(in_ns sw cat /sys/class/net/swsrv/statistics/tx_packets)
	(sleep 2; in_ns gen sh -c 'echo stop >/proc/net/pktgen/pgctrl') &
	stopper=$!
	in_ns gen sh -c 'echo start >/proc/net/pktgen/pgctrl'
	wait $stopper
	sleep 0.5
	out1=$(in_ns sw cat /sys/class/net/swsrv/statistics/tx_packets)
	pps=$(in_ns gen grep -o '[0-9]*pps' /proc/net/pktgen/gen0 | head -1)
	sent=$(in_ns gen sed -n 's/.*Result: OK: .* \([0-9]*\) (.*/\1/p;s/^ *pkts-sofar: \([0-9]*\).*/\1/p' /proc/net/pktgen/gen0 | head -1)
	pgn kpktgend_0 rem_device_all
	[ -n "$pps" ] || { fig insn n/a "pktgen gave no rate"; return; }
	fig insn $((1000000000 / ${pps%pps})) "delivered=$((out1 - out0)) sent=${sent:-?}"
}

# --- churn runs, interleaved ------------------------------------------------
# The part churns: CHURN_RUNS runs; in run r each system of SYSTEMS makes
# one churn run with the schedule of seed CHURN_SEED + r (the same VMs,
# MACs, rates and replacements for every system), on a bond made afresh,
# and the systems take turns going first (ABBA: run 1 in SYSTEMS' order,
# run 2 in the reverse, ...), so that a drift of the host's speed over the
# boot favours none.  A new bond is a new hash: balance-slb draws its hash
# seed when the bond opens; Open vSwitch's bond gets hash basis
# CHURN_SEED + r (its Port's other_config:bond-hash-basis).
churns() {
	local r s order seq=0
	for ((r = CHURN_FIRST; r < CHURN_FIRST + CHURN_RUNS; r++)); do
		order=$SYSTEMS
		((r % 2)) || order=$(printf '%s\n' $SYSTEMS | tac)
		for s in $order; do
			seq=$((seq + 1))
			sys_prepare "$s"
			OVS_BASIS=$((CHURN_SEED + r))
			sys_up "$s"
			log "== churns: run $r, $SYS ($seq of $((CHURN_RUNS * $(wc -w <<<"$SYSTEMS"))))"
			CHURN_RUN=$r
			# per-MAC moves: balance-slb's from its bucket table
			[ "$SYS" != balance-slb ] || [ -r "$SLB_TABLE" ] ||
				echo "BENCH churnfig $SYS $r permac n/a"
			churn_run $((CHURN_SEED + r)) "churn $SYS $r" track
			echo "BENCH churnfig $SYS $r order $seq"
			echo "BENCH churnfig $SYS $r seed $((CHURN_SEED + r))"
			echo "BENCH churnfig $SYS $r secs $CHURN_T"
			echo "BENCH churnfig $SYS $r moves ${CHURN_MOVES:-0}"
			[ "$SYS" != ovs-balance-slb ] || echo "BENCH churnfig $SYS $r basis $OVS_BASIS"
			sys_down
			OVS_BASIS=
		done
	done
}

# --- main -----------------------------------------------------------------------
sys_prepare() {
	case $1 in
	ovs-balance-slb) [ -n "${OVS_LOG:-}" ] || ovs_start ;;
	nm-balance-slb) command -v nft >/dev/null || skip "no nft"; modprobe nf_tables ;;
	esac
}
load_bonding
# the spoofing part last: it leaves the server's MAC learned on a VM's
# port in some systems, for the bridges' ageing time
PARTS=${BENCH_PARTS:-failover reorder duplicates own migration move churn spoof}
# the parts run on one bond of each system in turn
SYS_PARTS=$(printf '%s\n' $PARTS | grep -vx churns | tr '\n' ' ')
for SYS in ${SYS_PARTS:+$SYSTEMS}; do
	sys_prepare "$SYS"
	sys_up "$SYS"
	log "== $SYS"
	for part in $SYS_PARTS; do
		case $part in
		failover) fig_failover ;;
		reorder) fig_reorder ;;
		duplicates) fig_duplicates ;;
		own) fig_own_frames ;;
		migration) fig_migration ;;
		move) fig_move_quiet ;;
		spoof) fig_spoof ;;
		insn) fig_insn ;;
		churn) fig_churn ;;
		esac
	done
	[ "$SYS" != ovs-balance-slb ] || cp "$OVS_LOG" /tmp/ovs-vswitchd.log
	sys_down
done
[[ " $PARTS " != *" churns "* ]] || churns
pass "benchmark ran"
end_test
