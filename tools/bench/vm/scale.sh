#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# balance-slb at its limits, measured in the kernel: 64 slaves, a full
# 65536-entry MAC table whose keys span VLANs 1..4094, and what that costs
# in memory per bond and in time per call of the mode's control paths:
#
#   slb_work               one pass of the work item (sampling passes,
#                          once a second, and the short ones while moves
#                          wait for their gap), under a rebalancing load
#   bond_slb_rebalance     one rebalance run (slb_rebalance_interval 1000)
#   bond_slb_announce_pending  the announcement pass after one slave's
#                          switch port goes down (the call from the
#                          failover itself, then the work's later steps)
#   bond_slb_info_show     /proc/net/bonding/bond0 (and the whole file)
#   slb_buckets_show       debugfs bonding/bond0/slb_buckets
#
# Times come from ftrace's function_graph tracer (tracefs), memory from
# kprobe events on the allocators (the sizes bond_slb_open() asks for),
# /proc/vmallocinfo and MemAvailable.  Run by tools/bench/scale.sh in a
# QEMU guest (make bench-scale), but made to run on any Linux host as
# root with this bonding.ko loaded (or loadable), iproute2, slbgen
# (tools/slbgen.c) in PATH and tracefs: everything it creates lives in
# network namespaces of its own (slbscale-h: the host side with bond0,
# slbscale-sw: the switch), removed at exit, and it leaves the tracer as
# it found it (nop, no filters, function_graph's options and the buffer
# size as they were).  Plain POSIX tools otherwise (busybox is enough).
#
#   scale.sh            (settings from ../bench.env or the environment)
#
#   SCALE_SLAVES (64), SCALE_TABLE (65536), SCALE_VLANS (4094),
#   SCALE_PORTS (8 generator ports on the host bridge: one port may hold
#   1/8 of the table), SCALE_KEYS (18 MACs per VLAN: 73692 keys offered
#   for 65536 slots, as many as the 8-slot probing takes), SCALE_WORK_SECS
#   (120), SCALE_LOAD_PPS ("100 200 ... 800": frames/s of each port's
#   load, 1514 bytes, from the MACs of one VLAN, which changes every
#   SCALE_LOAD_TURN seconds, 20), SCALE_FAILOVERS (5), SCALE_PROC_READS
#   (20), SCALE_DEBUGFS_READS (5), SCALE_OUT (/tmp/slb-scale: raw traces)
#
# Output: progress lines, "BENCH scale KEY VALUE [NOTE]" figures, "CALL
# PHASE ROOT# PATH US" for every traced call, "TRACE PHASE LINE" raw
# trace excerpts, and the table between "TABLE-BEGIN" and "TABLE-END".
# Not a test: it fails only when it cannot measure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# the host's settings (tools/bench/scale.sh)
[ ! -f "$here/../bench.env" ] || . "$here/../bench.env"

SLAVES=${SCALE_SLAVES:-64}
TABLE=${SCALE_TABLE:-65536}
VLANS=${SCALE_VLANS:-4094}
PORTS=${SCALE_PORTS:-8}
KEYS=${SCALE_KEYS:-18}
WORK_SECS=${SCALE_WORK_SECS:-120}
LOAD_PPS=${SCALE_LOAD_PPS:-100 200 300 400 500 600 700 800}
LOAD_TURN=${SCALE_LOAD_TURN:-20}
FAILOVERS=${SCALE_FAILOVERS:-5}
PROC_READS=${SCALE_PROC_READS:-20}
DEBUGFS_READS=${SCALE_DEBUGFS_READS:-5}
OUT=${SCALE_OUT:-/tmp/slb-scale}
H=slbscale-h
SW=slbscale-sw
DST=02:00:00:00:01:01	# the frames' destination: a MAC the switch drops
T=/sys/kernel/tracing
DBG=/sys/kernel/debug
BONDSYS=/sys/class/net/bond0/bonding

log() { echo "$*"; }
fig() { echo "BENCH scale $*"; }
die() { echo "FAIL: $*"; exit 1; }
inh() { ip netns exec $H "$@"; }
now() { echo "${EPOCHREALTIME/,/.}"; }
# elapsed seconds since T0, one decimal
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

mkdir -p "$OUT" || die "cannot make $OUT"
rm -f "$OUT"/*.trace "$OUT"/stop

# --- clean up: our namespaces, our tracer settings, our kprobes ---------------
LOADERS=()
cleanup() {
	local p
	touch "$OUT/stop"
	for p in "${LOADERS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "${TRACER_OURS:-}" ]; then
		echo nop >$T/current_tracer
		echo >$T/set_graph_function
		echo >$T/set_ftrace_filter
		echo 0 >$T/max_graph_depth
		for o in ${OPTS0:-}; do echo "${o#*=}" >"$T/options/${o%%=*}"; done 2>/dev/null
		[ -z "${BUF_KB0:-}" ] || echo "$BUF_KB0" >$T/buffer_size_kb
	fi
	if [ -d $T/events/slbscale ]; then
		echo 0 >$T/events/slbscale/enable
		for p in kv pcpu; do echo "-:slbscale/$p" >>$T/kprobe_events; done 2>/dev/null
	fi
	ip netns del $H 2>/dev/null
	ip netns del $SW 2>/dev/null
}
trap cleanup EXIT

# --- preconditions --------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root"
command -v slbgen >/dev/null || die "slbgen not in PATH (make slbgen)"
[ -d /sys/module/bonding ] || modprobe bonding max_bonds=0 || die "no bonding module"
if [ ! -e $T/trace ]; then
	mount -t tracefs nodev $T 2>/dev/null ||
		{ [ -e $DBG/tracing/trace ] && T=$DBG/tracing; } ||
		die "no tracefs"
fi
[ -e $DBG/bonding ] || [ -e $DBG/tracing ] || mount -t debugfs nodev $DBG 2>/dev/null
grep -qw function_graph $T/available_tracers || die "kernel without function_graph"
[ "$(cat $T/current_tracer)" = nop ] || die "tracer $(cat $T/current_tracer) in use"
[ "$(cat $T/tracing_on)" = 1 ] || die "tracing is off (tracing_on 0): another user?"
TRACER_OURS=1
BUF_KB0=$(sed 's/ .*//' $T/buffer_size_kb)
ip netns list | grep -q "^$H\b" && die "netns $H exists (another run?)"

possible_cpus() { # CPUs per-CPU memory is allocated for
	awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-")
		c += (n == 2 ? r[2] - r[1] + 1 : 1) } } END { print c }' \
		/sys/devices/system/cpu/possible
}
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
procval() { # FIELD: the first number after "FIELD: " in /proc/net/bonding/bond0
	inh awk -F': ' -v f="$1" '$1 == f { split($2, v, " "); print v[1]; exit }' \
		/proc/net/bonding/bond0
}

log "kernel $(uname -r), $(nproc) CPUs online, $(possible_cpus) possible, bonding $(cat /sys/module/bonding/version 2>/dev/null)"
fig kernel "$(uname -r)"
fig cpus "$(nproc)" "possible=$(possible_cpus)"

# --- TCG calibration: a loop of known work, timed here and on the host --------
# (the host script runs the same two loops with the same bash and busybox
# binaries; the ratio is how much slower this machine runs them)
# best of three, as the host does
best() { tr ' ' '\n' | awk 'NF && (m == "" || $1 < m) { m = $1 } END { print m }'; }
calib() {
	local t0 i r b="" a=""
	for r in 1 2 3; do
		t0=$(now)
		for ((i = 0; i < 200000; i++)); do :; done
		b+=" $(since "$t0")"
		command -v busybox >/dev/null || continue
		t0=$(now)
		busybox awk 'BEGIN { for (i = 0; i < 300000; i++) a[i % 65536] += i }'
		a+=" $(since "$t0")"
	done
	fig calib-bash "$(best <<<"$b")" "seconds for 200000 empty bash loop turns, best of$b"
	[ -z "$a" ] || fig calib-awk "$(best <<<"$a")" "seconds for busybox awk, 300000 array updates, best of$a"
}
calib

# --- topology -------------------------------------------------------------------
#   g0..g7 (slbgen) -- vhg0..vhg7 -- hbr0 -- bond0 -- eth0..eth63
#   (netns slbscale-h)                                   | veth
#   netns slbscale-sw: br0 -- swp0..swp63 (no flooding to them)
t0=$(now)
ip netns add $H || die "netns $H"
ip netns add $SW || die "netns $SW"
for ns in $H $SW; do
	ip netns exec $ns sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
		echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' || die "sysctl in $ns"
done
b=""
for ((i = 0; i < SLAVES; i++)); do b+="link add eth$i type veth peer name swp$i netns $SW"$'\n'; done
for ((p = 0; p < PORTS; p++)); do b+="link add g$p type veth peer name vhg$p"$'\n'; done
b+="link add hbr0 type bridge mcast_snooping 0"$'\n'
b+="link add bond0 type bond"$'\n'
ip -n $H -batch - <<<"$b" || die "links"
inh sh -c "echo balance-slb >$BONDSYS/mode && echo 100 >$BONDSYS/miimon &&
	echo $TABLE >$BONDSYS/slb_mac_table_size &&
	echo 1000 >$BONDSYS/slb_rebalance_interval" ||
	die "bond0 options (is this the balance-slb bonding.ko?)"
b=""
for ((i = 0; i < SLAVES; i++)); do b+="link set eth$i master bond0"$'\n'; done
for ((p = 0; p < PORTS; p++)); do
	b+="link set vhg$p master hbr0"$'\n'"link set vhg$p up"$'\n'"link set g$p up"$'\n'
done
b+="link set bond0 master hbr0"$'\n'"link set hbr0 up"$'\n'
ip -n $H -batch - <<<"$b" || die "enslaving"
bridge -n $H fdb add $DST dev bond0 master static || die "fdb"
b="link add br0 type bridge mcast_snooping 0"$'\n'
for ((i = 0; i < SLAVES; i++)); do b+="link set swp$i master br0 up"$'\n'; done
ip -n $SW -batch - <<<"${b}link set br0 up" || die "switch"
# the switch floods nothing back: broadcasts (announcements) and unknown
# unicast end at it, as on a real switch whose other ports lead elsewhere
b=""
for ((i = 0; i < SLAVES; i++)); do b+="link set dev swp$i flood off mcast_flood off bcast_flood off"$'\n'; done
bridge -n $SW -batch - <<<"$b" || die "switch ports"
fig setup-secs "$(since "$t0")" "namespaces, $SLAVES slaves, $PORTS generator ports"

# --- memory: what bond_slb_open() allocates ------------------------------------
# kprobes on the allocators with the caller's address; only calls from
# balance-slb's functions are counted
kv="" pc=""
for f in __kvmalloc_node_noprof __kvmalloc_node kvmalloc_node; do
	grep -q " $f\$" /proc/kallsyms && { kv=$f; break; }
done
for f in pcpu_alloc_noprof pcpu_alloc __alloc_percpu_gfp; do
	grep -q " $f\$" /proc/kallsyms && { pc=$f; break; }
done
kprobes=0
if [ -n "$kv" ] && [ -n "$pc" ] && [ -w $T/kprobe_events ]; then
	echo "p:slbscale/kv $kv size=%di:u64 caller=\$stack0:symbol" >>$T/kprobe_events &&
		echo "p:slbscale/pcpu $pc size=%di:u64 caller=\$stack0:symbol" >>$T/kprobe_events &&
		kprobes=1
fi
[ $kprobes = 1 ] || log "no kprobe events ($kv/$pc): sizes from vmallocinfo only"
vmalloc_slb() { # bytes vmalloc'ed by balance-slb (caller bond_slb_* or slb_*)
	awk '$3 ~ /^(bond_)?slb_/ { s += $2 } END { print s + 0 }' /proc/vmallocinfo
}
# footprint SIZE CALLER: where a kvmalloc() of SIZE from CALLER landed
# and what it occupies: vmalloc (whole pages; vmallocinfo has an area of
# that caller with as many pages) or kmalloc (above 8 KiB whole pages
# rounded up to a power of two, as kmalloc_large() takes them; below, the
# next kmalloc cache)
footprint() {
	local pages=$((($1 + 4095) / 4096))
	if awk -v c="$2" -v p="pages=$pages" '$3 ~ "^" c "\\+" && $0 ~ p { f = 1 } END { exit !f }' /proc/vmallocinfo; then
		echo "vmalloc $((pages * 4096))"
	else
		awk -v s="$1" 'BEGIN { if (s > 8192) { p = 4096; while (p < s) p *= 2 }
			else { p = 8; while (p < s) p *= 2; if (s <= 96 && s > 64) p = 96
				if (s <= 192 && s > 128) p = 192 }
			print "kmalloc", p }'
	fi
}
inh cat /proc/net/bonding/bond0 >/dev/null
avail0=$(meminfo MemAvailable) pcpu0=$(meminfo Percpu) vm0=$(vmalloc_slb)
if [ $kprobes = 1 ]; then
	echo >$T/trace
	echo 1 >$T/events/slbscale/enable
fi
ip -n $H link set bond0 up || die "bond0 up"
[ $kprobes = 0 ] || echo 0 >$T/events/slbscale/enable
avail1=$(meminfo MemAvailable) pcpu1=$(meminfo Percpu) vm1=$(vmalloc_slb)
ncpu=$(possible_cpus)
total=0 total_pcpu=0
if [ $kprobes = 1 ]; then
	grep -E ' (kv|pcpu): ' $T/trace | grep -E 'caller=\(?(bond_)?slb_' >"$OUT/alloc.trace"
	sed 's/^/TRACE alloc /' "$OUT/alloc.trace"
	# one line per allocation: kind size caller
	awk '{ k = ($0 ~ / pcpu: /) ? "pcpu" : "kv"
		match($0, /size=[0-9]+/); n = substr($0, RSTART + 5, RLENGTH - 5)
		match($0, /caller=\(?[A-Za-z0-9_]+/); c = substr($0, RSTART + 7, RLENGTH - 7)
		sub(/^\(/, "", c); print k, n, c }' "$OUT/alloc.trace" >"$OUT/alloc"
	while read -r kind size caller; do
		if [ "$kind" = pcpu ]; then
			fig mem-pcpu "$size" "$caller $ncpu"
			total_pcpu=$((total_pcpu + size))
		else
			read -r where fp < <(footprint "$size" "$caller")
			fig mem-kv "$size" "$caller $where $fp"
			total=$((total + fp))
		fi
	done <"$OUT/alloc"
	echo >$T/trace
	fig mem-total "$total" "bytes of memory (kmalloc/vmalloc footprints) + $total_pcpu per possible CPU ($ncpu here)"
fi
awk '$3 ~ /^(bond_)?slb_/ { print "TRACE alloc vmallocinfo: " $0 }' /proc/vmallocinfo
fig mem-vmalloc-total "$((vm1 - vm0))" "bytes vmalloc'ed by balance-slb (with guard pages)"
fig mem-available-drop "$(((avail0 - avail1) * 1024))" "MemAvailable before - after bond0 up (bytes, noisy)"
fig mem-percpu-grow "$(((pcpu1 - pcpu0) * 1024))" "Percpu in /proc/meminfo, after - before (chunks, not bytes asked)"

wait_up() { # all slaves' MII up
	local i n
	for ((i = 0; i < 300; i++)); do
		n=$(inh grep -c 'MII Status: up' /proc/net/bonding/bond0)
		[ "$n" -ge $((SLAVES + 1)) ] && return 0
		sleep 0.2
	done
	return 1
}
wait_up || die "slaves not up"
# debugfs bonding/bond0@<netns inode> (this module's own directory for
# bonds outside init_net; none in mainline where CONFIG_NET_NS is set)
DFS=$(ls -d "$DBG/bonding/bond0@$(stat -L -c %i /run/netns/$H)" 2>/dev/null)
[ -z "$DFS" ] || [ -e "$DFS/slb_buckets" ] || DFS=""

# --- the MAC table: SCALE_PORTS ports, each VLANs of its own, KEYS MACs each ---
# MAC of port p, VLAN v, index i: 02:5p:VV:VV:00:ii, so that every key is
# a MAC of its own too (the switch learns each, not 18 MACs 4094 times)
port_first() { echo $(($1 * ((VLANS + PORTS - 1) / PORTS) + 1)); }
port_last() { local l=$((($1 + 1) * ((VLANS + PORTS - 1) / PORTS))); echo $((l > VLANS ? VLANS : l)); }
mac_of() { printf '02:5%x:%02x:%02x:00:00' "$1" $(($2 >> 8)) $(($2 & 255)); }
# one frame from each of the port's keys, VLAN after VLAN
fill_port() {
	local p=$1 v
	for ((v = $(port_first "$p"); v <= $(port_last "$p"); v++)); do
		slbgen send "g$p" -s "$(mac_of "$p" "$v")" -n "$KEYS" -c "$KEYS" -r 0 \
			-v "$v" -d $DST >/dev/null 2>&1 || echo "slbgen failed on g$p vlan $v"
	done
}
FUNCS_EXPORT="$(declare -f port_first port_last mac_of fill_port); VLANS=$VLANS PORTS=$PORTS KEYS=$KEYS DST=$DST"
# fill (and refresh: entries age out after 300 s) the whole table: one
# slbgen run per VLAN, the ports side by side
FILL_SECS=0
fill() {
	local t0 p pids=()
	t0=$(now)
	for ((p = 0; p < PORTS; p++)); do
		inh bash -c "$FUNCS_EXPORT; fill_port $p" &
		pids+=($!)
	done
	wait "${pids[@]}"
	FILL_SECS=$(since "$t0")
	KNOWN=$(procval "Known MACs")
	log "table filled in $FILL_SECS s: $KNOWN known MACs"
}
fill
fig fill-secs "$FILL_SECS" "one frame from each of $((VLANS * KEYS)) keys over $PORTS ports"
fig known-macs "$KNOWN" "of $TABLE slots, keys sent $((VLANS * KEYS))"
fig not-learned-full "$(procval 'MACs not learned (table full)')" "frames from MACs refused: no free slot among 8"
fig not-learned-share "$(procval 'MACs not learned (their port holds its share)')" "frames from MACs refused: port's share"
vlans_seen=$([ -z "$DFS" ] ||
	awk '!/^#/ { for (i = 7; i <= NF; i++) if ($i ~ /^[0-9a-f:]+\/[0-9]+$/) {
		split($i, a, "/"); v[a[2]] = 1 } }
		END { n = 0; for (k in v) n++; print n }' "$DFS/slb_buckets")
fig vlans-in-table "${vlans_seen:-?}" "distinct VLAN IDs among the known MACs"

# --- tracing --------------------------------------------------------------------
# every function we time, and the bonding functions they call that we want
# to see inside them: only these get ftrace's hook, the rest of the kernel
# runs untraced
WANT="slb_work bond_slb_update_rx_slave bond_slb_sample bond_slb_src_recount_free
	bond_slb_queriers_expire bond_slb_advance_moves bond_slb_rx_switch_close
	bond_slb_send_queries bond_slb_lacp_expire bond_slb_rebalance
	bond_slb_moves_apply bond_slb_announce_pending bond_slb_announcing
	bond_slb_evacuate bond_slb_carrier_event bond_slb_link_change
	bond_info_seq_show bond_slb_info_show bond_slb_slave_info_show
	slb_buckets_show"
echo nop >$T/current_tracer
echo >$T/set_ftrace_filter
have=""
for f in $WANT; do
	if grep -q "^$f\( \|\$\)" $T/available_filter_functions; then
		echo "$f" >>$T/set_ftrace_filter && have+=" $f"
	else
		log "not traceable here: $f"
	fi
done
for f in slb_work bond_slb_rebalance bond_slb_announce_pending bond_slb_info_show; do
	[[ " $have " == *" $f "* ]] || die "$f cannot be traced"
done
echo 32768 >$T/buffer_size_kb
# options of function_graph exist once it has been the tracer
echo 1 >$T/max_graph_depth
echo slb_work >$T/set_graph_function
echo function_graph >$T/current_tracer || die "function_graph"
# (and as they were at the end)
OPTS0=""
setopt() {
	[ -e "$T/options/$1" ] || return 0
	OPTS0+=" $1=$(cat "$T/options/$1")"
	echo "$2" >"$T/options/$1"
}
for o in funcgraph-abstime funcgraph-tail funcgraph-duration funcgraph-cpu; do setopt $o 1; done
for o in funcgraph-irqs funcgraph-proc; do setopt $o 0; done
echo nop >$T/current_tracer

mark() { echo "scale: $*" >$T/trace_marker; }
# trace_begin PHASE DEPTH ROOT...: function_graph from these roots, in a
# fresh buffer.  tracing_on stays 1 throughout: a graph function entered
# while the buffer is off would leave its task "inside the graph" for good
# (its return is never seen), and that task's next functions would show as
# roots
trace_begin() {
	local f
	PHASE=$1
	echo nop >$T/current_tracer
	echo "$2" >$T/max_graph_depth
	echo >$T/set_graph_function
	shift 2
	for f; do
		[[ " $have " != *" $f "* ]] || echo "$f" >>$T/set_graph_function
	done
	echo >$T/trace
	echo function_graph >$T/current_tracer
	mark "begin $PHASE"
}
trace_end() {
	mark "end $PHASE"
	awk -v e="scale: end $PHASE" '{ print } index($0, e) { exit }' $T/trace >"$OUT/$PHASE.trace"
	echo nop >$T/current_tracer
	grep -q 'LOST' "$OUT/$PHASE.trace" && log "$PHASE: the trace lost events (buffer full)"
	parse "$PHASE" <"$OUT/$PHASE.trace" >"$OUT/$PHASE.calls"
	log "$PHASE: $(grep -c '^CALL' "$OUT/$PHASE.calls") calls traced"
	cat "$OUT/$PHASE.calls"
}

# parse PHASE < trace: one "CALL PHASE ROOT# PATH US LABEL FIRST LAST" per
# traced call (PATH: its callers from the root, a/b/c; LABEL: the last
# "scale:" marker before it; FIRST, LAST: its lines in the trace)
parse() {
	awk -v phase="$1" '
	function fname(s) { gsub(/ \[[A-Za-z0-9_]+\]/, "", s); gsub(/\(\)/, "", s)
		gsub(/[{};]/, "", s); gsub(/^ +| +$/, "", s); return s }
	function path(d,   i, p) { p = st[0]; for (i = 1; i <= d; i++) p = p "/" st[i]; return p }
	{ line = $0 }
	/\/\* scale: / { s = line; sub(/.*\/\* scale: /, "", s); sub(/ *\*\/.*/, "", s)
		label = s; gsub(/ /, "_", label); next }
	{
		n = split(line, f, "|")
		if (n < 3) next
		fn = f[n]; dur = f[n - 1]
		if (fn !~ /[a-z_]/) next
		d = match(fn, /[^ ]/); depth = int((d - 3) / 2); if (depth < 0) depth = 0
		us = ""
		if (match(dur, /[0-9]+(\.[0-9]+)? us/)) us = substr(dur, RSTART, RLENGTH - 3)
		if (fn ~ /\{ *$/) {			# entry of a call with children
			if (depth == 0) root++
			st[depth] = fname(fn); start[depth] = NR; next
		}
		if (fn ~ /^ *\} \/\* /) {		# its end
			name = fn; sub(/^ *\} \/\* /, "", name); sub(/ *\*\/.*/, "", name)
			name = fname(name)
			if (!(depth in st) || st[depth] != name) { st[depth] = name; start[depth] = NR
				if (depth == 0) root++ }
			st[depth] = name
		} else if (fn ~ /\);/ || fn ~ /\(\) *$/) {	# a call with nothing traced inside
			if (depth == 0) root++
			st[depth] = fname(fn); start[depth] = NR
		} else next
		if (us == "") next
		printf "CALL %s %d %s %s %s %d %d\n", phase, root, path(depth), us, \
			(label == "" ? "-" : label), start[depth], NR
		delete st[depth]
	}'
}

# stats FILE: "n median p90 max" of the numbers in FILE (one a line)
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "0 - - -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999)]; if (p == "") p = v[NR]
		printf "%d %.1f %.1f %.1f\n", NR, m, p, v[NR] }'
}
# sel PHASE AWK-CONDITION: the microseconds of the calls that match
# ($3 root#, $4 path, $5 us, $6 label, $7 first line)
sel() { awk "\$1 == \"CALL\" && ($2) { print \$5 }" "$OUT/$1.calls"; }
ROWS=()
# row NAME FILE-OF-US NOTE: a table row in ms
row() {
	local n med p90 max
	read -r n med p90 max < <(stats "$2")
	ROWS+=("$(printf '%-44s %6s %10s %10s %10s  %s' "$1" "$n" \
		"$(ms "$med")" "$(ms "$p90")" "$(ms "$max")" "$3")")
	fig "time:${1// /_}" "$med" "n=$n p90=$p90 max=$max us; $3"
}
ms() { [ "$1" = - ] && echo - || awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }
# excerpt PHASE ROOT# WHAT: the raw trace lines of that root call
excerpt() {
	local first last
	read -r first last < <(awk -v r="$2" '$1 == "CALL" && $3 == r && $4 !~ /\// { print $7, $8; exit }' "$OUT/$1.calls")
	[ -n "$first" ] || return 0
	echo "TRACE $1 ---- $3: call $2 (lines $first-$last of $1.trace)"
	sed -n "${first},${last}p" "$OUT/$1.trace" | sed "s/^/TRACE $1 /"
}
# root_of PHASE PATH median|max: the root call number of the call on PATH
# with the median / largest time
root_of() {
	awk -v p="$2" '$1 == "CALL" && $4 == p { print $5, $3 }' "$OUT/$1.calls" | sort -g |
		awk -v w="$3" '{ r[NR] = $2 } END { if (NR) print (w == "max" ? r[NR] : r[int((NR + 1) / 2)]) }'
}

# load: each port sends 1514-byte frames from KEYS MACs of one of its
# VLANs at its rate, a new VLAN every LOAD_TURN seconds, so that bucket
# loads change and the rebalancer has work; at nice 19, so that the work
# item, not the generators, gets the CPU when both want it
load_port() {
	local p=$1 r=$2 v
	v=$(port_first "$p")
	while [ ! -e "$OUT/stop" ]; do
		slbgen send "g$p" -s "$(mac_of "$p" "$v")" -n "$KEYS" -v "$v" -c 0 \
			-t "$LOAD_TURN" -r "$r" -l 1514 -d $DST >/dev/null 2>&1
		v=$((v + 1))
		[ $v -le "$(port_last "$p")" ] || v=$(port_first "$p")
	done
}
NICE="nice -n 19"
command -v nice >/dev/null || { NICE=""; log "no nice: the load runs at the work item's priority"; }
load_start() {
	local p=0 r
	rm -f "$OUT/stop"
	for r in $LOAD_PPS; do
		[ $p -lt "$PORTS" ] || break
		inh $NICE bash -c "$FUNCS_EXPORT OUT=$OUT LOAD_TURN=$LOAD_TURN; $(declare -f load_port); load_port $p $r" &
		LOADERS+=($!)
		p=$((p + 1))
	done
}
load_stop() {
	touch "$OUT/stop"
	wait "${LOADERS[@]}" 2>/dev/null
	LOADERS=()
	rm -f "$OUT/stop"
}
# settle: no move waits for its gap and no bucket waits to be announced
settle() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(procval 'Moves waiting for a gap')" = 0 ] &&
			[ "$(procval 'Buckets waiting to be announced')" = 0 ] && return 0
		sleep 0.2
	done
	log "not settled after 30 s"
}

# --- 1. the work item and the rebalancer under load -------------------------------
bond_tx() { ip -n $H -s link show bond0 | awk '/TX:/ { getline; print $2; exit }'; }
tx0=$(bond_tx) tl0=$(now)
load_start
sleep 15	# the bucket loads' averages fill
moves0=$(procval "Total moves") ann0=$(procval "Announcements sent")
trace_begin work 4 slb_work
sleep "$WORK_SECS"
trace_end work
moves1=$(procval "Total moves") ann1=$(procval "Announcements sent")
load_stop
fig work-moves "$((moves1 - moves0))" "bucket moves in the $WORK_SECS s"
fig work-announcements "$((ann1 - ann0))" "announcements in the $WORK_SECS s"
fig known-macs-after-work "$(procval "Known MACs")"
tx1=$(bond_tx)
fig work-load "$(awk -v n=$((tx1 - tx0)) -v t="$(since "$tl0")" 'BEGIN { printf "%.0f", n / t }')" \
	"frames/s bond0 sent under the load"

# passes that sampled the loads (once a second) and the others (every
# gap/2 while moves wait, every 100 ms while announcing)
awk '$1 == "CALL" && $4 == "slb_work/bond_slb_sample" { s[$3] = 1 }
     $1 == "CALL" && $4 == "slb_work" { t[$3] = $5 }
     END { for (r in t) print (r in s ? "S" : "L"), t[r] }' "$OUT/work.calls" >"$OUT/passes"
sel work '$4 == "slb_work"' >"$OUT/u.pass"
awk '$1 == "S" { print $2 }' "$OUT/passes" >"$OUT/u.sampling"
awk '$1 == "L" { print $2 }' "$OUT/passes" >"$OUT/u.light"
sel work '$4 == "slb_work/bond_slb_rebalance"' >"$OUT/u.rebal"
# runs that planned moves: bond_slb_moves_apply announced them
awk '$1 == "CALL" && $4 == "slb_work/bond_slb_rebalance/bond_slb_moves_apply/bond_slb_announce_pending" { m[$3] = 1 }
     $1 == "CALL" && $4 == "slb_work/bond_slb_rebalance" { t[$3] = $5 }
     END { for (r in t) print (r in m ? "M" : "N"), t[r] }' "$OUT/work.calls" >"$OUT/rebal"
awk '$1 == "M" { print $2 }' "$OUT/rebal" >"$OUT/u.rebal-moves"
awk '$1 == "N" { print $2 }' "$OUT/rebal" >"$OUT/u.rebal-none"
row "slb_work pass, all" "$OUT/u.pass" "under load"
row "slb_work pass, sampling (once a second)" "$OUT/u.sampling" "measures loads, recounts the table"
row "slb_work pass, the others" "$OUT/u.light" "moves waiting, announcing"
for c in $WANT; do
	sel work "\$4 == \"slb_work/$c\"" >"$OUT/u.c"
	[ ! -s "$OUT/u.c" ] || row "  in slb_work: $c" "$OUT/u.c" ""
done
row "bond_slb_rebalance run, all" "$OUT/u.rebal" "slb_rebalance_interval 1000"
row "bond_slb_rebalance run, moves planned" "$OUT/u.rebal-moves" "with their first announcement step"
row "bond_slb_rebalance run, nothing to move" "$OUT/u.rebal-none" ""
for what in median max; do
	r=$(root_of work slb_work/bond_slb_rebalance "$what")
	[ -z "$r" ] || excerpt work "$r" "the pass with the $what rebalance run"
done
r=$(awk '$1 == "CALL" && $4 == "slb_work/bond_slb_sample" { print $3; exit }' "$OUT/work.calls")
[ -z "$r" ] || excerpt work "$r" "the first sampling pass"
r=$(root_of work slb_work max)
[ -z "$r" ] || excerpt work "$r" "the longest pass"

# --- 2. failover: one slave's switch port goes down --------------------------------
fill
fig fill-secs-2 "$FILL_SECS"
inh sh -c "echo 0 >$BONDSYS/slb_rebalance_interval"
settle
sleep 2	# the announcement budget fills up again
rx=$(inh sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
trace_begin failover 4 bond_slb_carrier_event bond_slb_link_change bond_slb_announce_pending
k=0
for ((r = 1; r <= FAILOVERS; r++)); do
	k=$((k + 1))
	[ "eth$k" != "$rx" ] || k=$((k + 1))
	a0=$(procval "Announcements sent")
	nb=$(inh awk -v s="eth$k" '/^Slave Interface:/ { i = $3 } i == s && /^SLB buckets:/ { print $3 }' /proc/net/bonding/bond0)
	t0=$(now)
	mark "down eth$k"
	ip -n $SW link set "swp$k" down
	for ((i = 0; i < 150; i++)); do
		sleep 0.2
		[ "$(procval 'Buckets waiting to be announced')" = 0 ] && break
	done
	done_s=$(since "$t0")
	a1=$(procval "Announcements sent")
	mark "up eth$k"
	fig failover "$((a1 - a0))" "round=$r slave=eth$k buckets=$nb announcements, pass done after ${done_s}s"
	ip -n $SW link set "swp$k" up
	wait_up || log "eth$k not back up"
	sleep 3
done
trace_end failover
# per failover: every bond_slb_announce_pending until the port came back,
# the first (by where it began) being the one the failover made itself,
# inside bond_slb_carrier_event
awk '$1 == "CALL" && $6 ~ /^down_/ && $4 ~ /bond_slb_announce_pending$/ { print $6, $7, $5 }' \
	"$OUT/failover.calls" | sort -k1,1 -k2,2n >"$OUT/fo-ann"
awk '$1 != l { l = $1; print $3 }' "$OUT/fo-ann" >"$OUT/u.fo-first"
awk '{ n[$1]++ } n[$1] > 1 { print $3 }' "$OUT/fo-ann" >"$OUT/u.fo-later"
awk '{ s[$1] += $3; n[$1]++ } END { for (l in s) print s[l], n[l] }' "$OUT/fo-ann" >"$OUT/fo-sum"
awk '{ print $1 }' "$OUT/fo-sum" >"$OUT/u.fo-sum"
fcalls=$(awk '{ print $2 }' "$OUT/fo-sum" | sort -n | sed -n '1p;$p' | uniq | tr '\n' '-' | sed 's/-$//')
sel failover '$6 ~ /^down_/ && $4 ~ /(^|\/)bond_slb_carrier_event$/' >"$OUT/u.fo-carrier"
sel failover '$6 ~ /^down_/ && $4 ~ /bond_slb_carrier_event\/bond_slb_evacuate$/' >"$OUT/u.fo-evac"
row "failover: bond_slb_carrier_event" "$OUT/u.fo-carrier" "notifier: evacuate, first announcement step"
row "failover:   bond_slb_evacuate" "$OUT/u.fo-evac" "moves the slave's buckets, announces"
row "announce_pending, the failover's own call" "$OUT/u.fo-first" "walks the table, up to 128 sent"
row "announce_pending, later steps (work item)" "$OUT/u.fo-later" "50 ms apart until the pass ends"
row "announce_pending, whole pass (per failover)" "$OUT/u.fo-sum" "sum of its ${fcalls:-?} calls"
r=$(root_of failover bond_slb_carrier_event max)
[ -z "$r" ] || excerpt failover "$r" "the longest failover, in the notifier"
r=$(awk '$1 == "CALL" && $4 ~ /^(slb_work\/)?bond_slb_announce_pending$/ && $6 ~ /^down_/ { print $3; exit }' "$OUT/failover.calls")
[ -z "$r" ] || excerpt failover "$r" "the first later step of a pass, from the work item"

# --- 3. reading the status files ----------------------------------------------------
fill
fig fill-secs-3 "$FILL_SECS"
settle
trace_begin reads 2 bond_info_seq_show bond_slb_info_show bond_slb_slave_info_show slb_buckets_show
for ((r = 1; r <= PROC_READS; r++)); do
	mark "proc $r"
	inh cat /proc/net/bonding/bond0 >/dev/null
done
dsize=0
if [ -n "$DFS" ]; then
	for ((r = 1; r <= DEBUGFS_READS; r++)); do
		mark "debugfs $r"
		dsize=$(wc -c <"$DFS/slb_buckets")
	done
else
	log "no debugfs bonding/bond0@<netns>/slb_buckets: not measured"
fi
mark "done"
trace_end reads
fig proc-bytes "$(inh cat /proc/net/bonding/bond0 | wc -c)" "bytes in /proc/net/bonding/bond0"
fig debugfs-bytes "$dsize" "bytes in slb_buckets"
# per read: the sum of the calls between its marker and the next
persum() { # PATH-REGEX LABEL-PREFIX
	awk -v p="$1" -v l="$2" '$1 == "CALL" && $4 ~ p && index($6, l) == 1 { s[$6] += $5; n[$6]++ }
		END { for (k in s) print s[k], n[k] }' "$OUT/reads.calls"
}
sel reads '$4 ~ /bond_slb_info_show$/ && $6 ~ /^proc_/' >"$OUT/u.info"
persum '^bond_info_seq_show$' proc_ | awk '{ print $1 }' >"$OUT/u.proc-file"
persum '(^|/)bond_slb_slave_info_show$' proc_ | awk '{ print $1 }' >"$OUT/u.proc-slaves"
sel reads '$4 == "slb_buckets_show" && $6 ~ /^debugfs_/' >"$OUT/u.dfs-call"
persum '^slb_buckets_show$' debugfs_ >"$OUT/dfs-read"
awk '{ print $1 }' "$OUT/dfs-read" >"$OUT/u.dfs-read"
dcalls=$(awk '{ print $2 }' "$OUT/dfs-read" | sort -n | uniq | tr '\n' ' ' | sed 's/ $//')
row "/proc/net/bonding/bond0: bond_slb_info_show" "$OUT/u.info" "counts the fresh MACs: one table walk"
row "/proc/net/bonding/bond0: $SLAVES slave sections" "$OUT/u.proc-slaves" "bond_slb_slave_info_show, sum per read"
row "/proc/net/bonding/bond0: whole file" "$OUT/u.proc-file" "bond_info_seq_show, sum per read"
row "debugfs slb_buckets: slb_buckets_show call" "$OUT/u.dfs-call" "each call walks the table, prints all"
row "debugfs slb_buckets: one read (all calls)" "$OUT/u.dfs-read" "${dcalls:-?} calls per read: seq_file regrows"
r=$(root_of reads bond_info_seq_show max)
[ -z "$r" ] || excerpt reads "$r" "the longest section of /proc/net/bonding/bond0"
awk '$1 == "CALL" && $6 == "debugfs_1" && $4 == "slb_buckets_show" { print $3 }' "$OUT/reads.calls" |
	while read -r r; do excerpt reads "$r" "one read of slb_buckets, call by call"; done
fig known-macs-end "$(procval "Known MACs")"

# what one slb_buckets call allocates for itself while it runs (the
# seq_file buffer besides: as large as the output, grown by doubling)
if [ $kprobes = 1 ] && [ -n "$DFS" ]; then
	echo >$T/trace
	echo 1 >$T/events/slbscale/enable
	cat "$DFS/slb_buckets" >/dev/null
	echo 0 >$T/events/slbscale/enable
	grep -E ' kv: .*caller=\(?slb_buckets_show' $T/trace | sed 's/^/TRACE debugfs-alloc /'
	grep -E ' kv: .*caller=\(?slb_buckets_show' $T/trace | awk '{ match($0, /size=[0-9]+/)
		s += substr($0, RSTART + 5, RLENGTH - 5); n++ }
		END { print "BENCH scale mem-debugfs-read " s + 0 " bytes in " n + 0 " kvmalloc calls over the read" }'
	echo >$T/trace
fi

# --- the table ----------------------------------------------------------------------
echo "TABLE-BEGIN"
printf '%-44s %6s %10s %10s %10s  %s\n' "call (function_graph, wall time)" calls "median ms" "p90 ms" "max ms" note
for l in "${ROWS[@]}"; do echo "$l"; done
echo "TABLE-END"
exit 0
