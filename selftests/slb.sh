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
#   proc_val FIELD [BOND]   value of "FIELD: value" in /proc/net/bonding
#   port_of_mac MAC         from sw_recv output: the switch ports MAC used

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
	must ip link set "vh$ns" master hbr0
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

# the n-th MAC slbgen uses for -s BASE (BASE's last byte must leave room)
gen_mac() { printf '%s:%02x' "${1%:*}" $((0x${1##*:} + $2)); }
