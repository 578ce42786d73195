# shellcheck shell=bash
# Helpers for the bonding VM selftests.  Every test starts with
#
#   source "$(dirname "$0")/../lib.sh"
#
# and ends with `end_test`.  Exit codes follow kselftest: 0 pass, 1 fail,
# 4 skip.  The helpers work with or without `set -e` in the test; setup
# helpers (topo_*, must, ...) end the test as failed when a step fails.  Messages are printed bare ("FAIL: ..."); the VM harness prefixes
# every line of test output with "# " in the KTAP stream.
#
# Topology (root netns plays the hypervisor "host"):
#
#   vm0..vmN-1 (netns, veth vmK, 02:00:00:00:00:<K+1>, 192.0.2.(10+K))
#      |  vhK
#   hbr0 (bridge in root netns) -- bond0 -- eth0..ethN-1
#                                              |  veth
#   netns sw:  br0 (learning bridge) -- swp0..swpN-1, swsrv
#                                                        |  veth
#   netns srv: srv0 192.0.2.1/24 2001:db8::1/64
#
# Infrastructure interfaces (ethN, bond, hbr0, vhK and everything in "sw")
# get IPv6 disabled so that only VMs and the server emit traffic; this keeps
# per-MAC counters on the switch deterministic.  For the same reason both
# bridges are made with mcast_snooping 0 (a snooping bridge joins 224.0.0.106
# and sends IGMP reports from its own MAC); they flood multicast instead.

ksft_pass=0
ksft_fail=1
ksft_skip=4

# SLB_SLOW: how many times slower than a Debian kernel under TCG this one
# is (slb.slow=N on the kernel command line; make check-debug sets it for
# its KASAN/lockdep kernel).  Safety bounds on time and loss scale with it;
# on a Debian kernel it is 1 and nothing is loosened.
SLB_SLOW=1
for _a in $(cat /proc/cmdline 2>/dev/null); do
	case $_a in slb.slow=[1-9]|slb.slow=[1-9][0-9]) SLB_SLOW=${_a#slb.slow=} ;; esac
done
unset _a

SRV_IP4=192.0.2.1
SRV_IP6=2001:db8::1
SRV_MAC=02:00:00:00:01:01

SLB_NFAIL=0
SLB_NPASS=0
SLB_NPORTS=0    # eth/swp pairs made by topo_switch
SLB_NS=()       # namespaces made by this test
SLB_LINKS=()    # root-netns links made by this test
SLB_PIDS=()     # background helpers to stop at exit
SLB_SYSCTL=()   # /proc/sys file, old value: put back at exit
declare -A SLB_CNT=() # "port/key" -> tc filter pref
SLB_CNT_PREF=100

# --- results -----------------------------------------------------------------------
log() { echo "$*"; }
pass() { SLB_NPASS=$((SLB_NPASS + 1)); echo "PASS: $*"; }
fail() { SLB_NFAIL=$((SLB_NFAIL + 1)); echo "FAIL: $*"; }
skip() { # skip REASON: the whole test is skipped (exit 4)
	echo "SKIP: $*"
	if [ -n "${SLB_SKIP_FILE:-}" ]; then echo "$*" >"$SLB_SKIP_FILE"; fi
	exit $ksft_skip
}
die() { fail "$*"; exit $ksft_fail; } # a setup step failed: stop the test
end_test() {
	echo "result: $SLB_NPASS checks passed, $SLB_NFAIL checks failed"
	[ "$SLB_NFAIL" -eq 0 ] && exit $ksft_pass
	exit $ksft_fail
}

# must CMD...: run a setup step; on failure the test fails right away
# (no command substitution: under TCG every fork costs ~50 ms)
must() {
	"$@" && return 0
	die "setup step failed (rc $?): $*"
}
# batch TOOL [NS]: run the TOOL (ip, bridge, tc) commands on stdin as one
# batch (one process instead of one per command), in netns NS if given; a
# failing line shows the batch and fails the test
batch() {
	local tool=$1 ns=${2:-} in=""
	IFS= read -r -d '' in || true # whole stdin, no fork
	[ -n "${in//$'\n'/}" ] || return 0
	"$tool" ${ns:+-n "$ns"} -batch - <<<"$in" && return 0
	printf '%s\n' "$in"
	die "$tool batch failed${ns:+ in netns $ns}"
}
ipb() { batch ip "$@"; }
bridgeb() { batch bridge "$@"; }
tcb() { batch tc sw; }	# the switch's filters

# check DESC CMD...: pass if CMD succeeds, fail otherwise (output shown on
# failure); returns 1 on failure, for "check ... || show_why"
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		[ -n "$out" ] && echo "$out"
		fail "$desc"
		return 1
	fi
}
# check_fail DESC CMD...: pass if CMD fails
check_fail() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		[ -n "$out" ] && echo "$out"
		fail "$desc (unexpectedly succeeded)"
	else
		pass "$desc"
	fi
}
# check_eq DESC ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}

require_cmd() { local c; for c; do command -v "$c" >/dev/null || skip "$c not available"; done; }

# wait_for [-t SECS] CMD...: poll CMD every 0.1 s until it succeeds (default 10 s)
wait_for() {
	local t=10 i
	if [ "${1:-}" = -t ]; then t=$2; shift 2; fi
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}

# stop_bg PID: SIGTERM to a background job's command and wait for it.  A
# function started with & runs in a subshell: signal its child (the
# command; bash may have exec'd it, then PID is the command itself).
stop_bg() {
	pkill -TERM -P "$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
	wait "$1"
}

# bg_run CMD...: start a helper in the background, stopped by cleanup_all
bg_run() { "$@" & SLB_PIDS+=($!); }

# --- bonding module ----------------------------------------------------------------
# load_bonding [params...]: (re)load bonding; no bond0 unless max_bonds= is given
load_bonding() {
	local p b bonds=() has_max=0
	for p; do [[ "$p" == max_bonds=* ]] && has_max=1; done
	if [ -d /sys/module/bonding ]; then
		read -r -a bonds </sys/class/net/bonding_masters || true
		for b in "${bonds[@]}"; do ip link del "$b" 2>/dev/null || true; done
		must modprobe -r bonding
	fi
	[ $has_max -eq 1 ] || set -- max_bonds=0 "$@"
	must modprobe bonding "$@"
	log "bonding: $(modinfo -F filename bonding) $(modinfo -F version bonding 2>/dev/null)"
}

# bond_mode_supported MODE: can the loaded bonding switch a bond to MODE?
bond_mode_supported() {
	local b=slbprobe ok=1
	ip link add $b type bond 2>/dev/null || return 1
	if echo "$1" 2>/dev/null >/sys/class/net/$b/bonding/mode; then ok=0; fi
	ip link del $b 2>/dev/null || true
	return $ok
}

# --- namespaces and links ----------------------------------------------------------
ns_add() { must ip netns add "$1"; SLB_NS+=("$1"); must ip -n "$1" link set lo up; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# quiet_if IF...: no IPv6 (so no RS/DAD/MLD) on root-netns infrastructure links
quiet_if() {
	local i
	for i; do echo 1 2>/dev/null >"/proc/sys/net/ipv6/conf/$i/disable_ipv6" || true; done
}

vm_mac() { printf '02:00:00:00:00:%02x' $(($1 + 1)); }
vm_ip4() { echo "192.0.2.$((10 + $1))"; }
vm_ip6() { echo "2001:db8::$((10 + $1))"; }

# topo_switch N: netns "sw" with learning bridge br0, host links eth0..ethN-1
# cabled to swp0..swpN-1, and netns "srv" (srv0) cabled to swsrv
topo_switch() {
	local n=$1 i b
	SLB_NPORTS=$n
	ns_add sw
	ns_add srv
	# everything later created in sw inherits "no IPv6"
	must ip netns exec sw sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6'
	b=""
	for ((i = 0; i < n; i++)); do
		b+="link add eth$i type veth peer name swp$i netns sw"$'\n'
		SLB_LINKS+=("eth$i")
	done
	ipb <<<"$b"
	for ((i = 0; i < n; i++)); do quiet_if "eth$i"; done
	ipb srv <<-EOF
		link add srv0 address $SRV_MAC type veth peer name swsrv netns sw
		addr add $SRV_IP4/24 dev srv0
		addr add $SRV_IP6/64 dev srv0 nodad
		link set srv0 up
	EOF
	b="link add br0 type bridge mcast_snooping 0"$'\n'"link set br0 up"$'\n'
	for ((i = 0; i < n; i++)); do b+="link set swp$i master br0 up"$'\n'; done
	b+="link set swsrv master br0 up"
	ipb sw <<<"$b"
}

# switch_lag [MODE] [ip-link bond options...]: turn the switch ports swp0..
# swpN-1 into one static LAG (bond "swbond" in netns sw, default balance-xor
# with layer2 hash), as upstream balance-rr/xor/broadcast modes expect.
# Without it, br0 is a plain learning switch (what balance-slb is made for).
# Per-port counters keep working: tc ingress runs before the bond sees a frame.
switch_lag() {
	local mode=${1:-balance-xor} i
	if [ $# -gt 0 ]; then shift; fi
	if [ $# -eq 0 ] && [ "$mode" = balance-xor ]; then set -- xmit_hash_policy layer2; fi
	must ip -n sw link add swbond type bond mode "$mode" miimon 100 "$@"
	local b=""
	for ((i = 0; i < SLB_NPORTS; i++)); do
		b+="link set swp$i nomaster"$'\n'"link set swp$i down"$'\n'
		b+="link set swp$i master swbond"$'\n'
	done
	ipb sw <<<"${b}link set swbond master br0 up"
}

# topo_bond NAME MODE [ip-link bond options...]: bond over eth0..ethN-1, up.
# Modes iproute2 does not know (balance-slb, 7) are set through sysfs.
topo_bond() {
	local name=$1 mode=$2 i
	shift 2
	case "$mode" in
	balance-rr|active-backup|balance-xor|broadcast|802.3ad|balance-tlb|balance-alb|[0-6])
		must ip link add "$name" type bond mode "$mode" "$@"
		SLB_LINKS+=("$name")
		;;
	*)
		must ip link add "$name" type bond
		SLB_LINKS+=("$name")
		# only possible while the bond is down and has no slaves
		echo "$mode" >"/sys/class/net/$name/bonding/mode" ||
			die "bonding rejected mode $mode"
		[ $# -eq 0 ] || must ip link set "$name" type bond "$@"
		;;
	esac
	quiet_if "$name"
	local b=""
	for ((i = 0; i < SLB_NPORTS; i++)); do b+="link set eth$i master $name"$'\n'; done
	ipb <<<"${b}link set $name up"
}

# vms_on_br0: bridge br0 with VMs vm0 and vm1 (topo_vms with the names of
# balance-slb-admin.rst, whose examples put bond0 into br0)
vms_on_br0() {
	must ip link add br0 type bridge mcast_snooping 0
	SLB_LINKS+=(br0)
	quiet_if br0
	must ip link set br0 up
	vm_add 0 br0
	vm_add 1 br0
}

# ping_tries NS ADDR: ns_ping up to three times (a slow host, TCG on a
# loaded CI machine, may lose the first ARP round while slaves come up)
ping_tries() { ns_ping "$@" >/dev/null || ns_ping "$@" >/dev/null || ns_ping "$@"; }

# vm_add K [BRIDGE]: netns vmK with link vmK, peer vhK on BRIDGE (default hbr0)
vm_add() {
	local k=$1 br=${2:-hbr0} vm=vm$1
	ns_add "$vm"
	must ip link add "vh$k" type veth peer name "$vm" address "$(vm_mac "$k")" netns "$vm"
	SLB_LINKS+=("vh$k")
	quiet_if "vh$k"
	ipb "$vm" <<-EOF
		addr add $(vm_ip4 "$k")/24 dev $vm
		addr add $(vm_ip6 "$k")/64 dev $vm nodad
		link set $vm up
	EOF
	bridge_attach "vh$k" "$br"
	must ip link set "vh$k" up
}

# bridge_attach PORT BRIDGE: the host bridge takes PORT (a bench that puts
# VMs on another kind of switch redefines it)
bridge_attach() { must ip link set "$1" master "$2"; }

# topo_vms N [BRIDGE] [BOND]: host bridge (hbr0) with BOND (bond0) as a port
# and N VMs vm0..vmN-1 on it
topo_vms() {
	local n=$1 br=${2:-hbr0} bond=${3:-bond0} k
	must ip link add "$br" type bridge mcast_snooping 0
	SLB_LINKS+=("$br")
	quiet_if "$br"
	ipb <<-EOF
		link set $bond master $br
		link set $br up
	EOF
	for ((k = 0; k < n; k++)); do vm_add "$k" "$br"; done
}

# switch_vlan VID: make sw/br0 VLAN-aware, swpN trunk VID (tagged), swsrv
# access port (pvid, untagged) in VID
switch_vlan() {
	local vid=$1 i
	must ip -n sw link set br0 type bridge vlan_filtering 1
	local b=""
	for ((i = 0; i < SLB_NPORTS; i++)); do
		b+="vlan add dev swp$i vid $vid"$'\n'"vlan del dev swp$i vid 1"$'\n'
	done
	bridgeb sw <<<"${b}vlan add dev swsrv vid $vid pvid untagged"$'\n'"vlan del dev swsrv vid 1"
}

# topo_vms_vlan N VID [BRIDGE] [BOND]: like topo_vms, but the host bridge is
# VLAN-aware: VM ports are access ports in VID, the bond carries VID tagged;
# the switch is set up the same way (switch_vlan)
topo_vms_vlan() {
	local n=$1 vid=$2 br=${3:-hbr0} bond=${4:-bond0} k
	topo_vms "$n" "$br" "$bond"
	must ip link set "$br" type bridge vlan_filtering 1
	local b=""
	for ((k = 0; k < n; k++)); do
		b+="vlan add dev vh$k vid $vid pvid untagged"$'\n'"vlan del dev vh$k vid 1"$'\n'
	done
	bridgeb <<<"${b}vlan add dev $bond vid $vid"$'\n'"vlan del dev $bond vid 1"
	switch_vlan "$vid"
}

# topo_bond_vlan BOND VID [ADDR/PREFIX...]: BOND.VID sub-interface, up.
# Pair it with switch_vlan VID so the switch trunks the VLAN.
topo_bond_vlan() {
	local bond=$1 vid=$2 a
	shift 2
	must ip link add link "$bond" name "$bond.$vid" type vlan id "$vid"
	SLB_LINKS+=("$bond.$vid")
	for a; do
		case "$a" in
		*:*) must ip addr add "$a" dev "$bond.$vid" nodad ;;
		*) must ip addr add "$a" dev "$bond.$vid" ;;
		esac
	done
	must ip link set "$bond.$vid" up
}

# --- per-port counters on the switch -----------------------------------------------
declare -A SLB_CLSACT=() # switch ports that already have clsact

# port_count_init [PORT...]: clsact on the switch ports (default swp0..swpN-1)
port_count_init() {
	local p i plist=("$@")
	if [ ${#plist[@]} -eq 0 ]; then
		for ((i = 0; i < SLB_NPORTS; i++)); do plist+=("swp$i"); done
	fi
	local b=""
	for p in "${plist[@]}"; do
		[ -n "${SLB_CLSACT[$p]:-}" ] && continue
		b+="qdisc add dev $p clsact"$'\n'
		SLB_CLSACT[$p]=1
	done
	tcb <<<"$b"
}

# count_flower PORT KEY [protocol P] FLOWER-MATCH...: count ingress packets
# on switch PORT (i.e. sent by the host into that port) that match, under the
# name KEY.  Protocol defaults to "all"; VLAN matches need "protocol 802.1Q"
# (and "protocol ip" then matches untagged IPv4 only).
# The action is "continue", so rules never hide each other.
count_flower() {
	local port=$1 key=$2 proto=all
	shift 2
	if [ "${1:-}" = protocol ]; then proto=$2; shift 2; fi
	port_count_init "$port"
	must tc -n sw filter add dev "$port" ingress pref "$SLB_CNT_PREF" protocol "$proto" \
		flower skip_hw "$@" action continue
	SLB_CNT[$port/$key]=$SLB_CNT_PREF
	SLB_CNT_PREF=$((SLB_CNT_PREF + 1))
}
# flower_count PORT KEY: packets counted so far (0 if none)
flower_count() {
	local pref=${SLB_CNT[$1/$2]:-} out
	[ -n "$pref" ] || { echo "no counter $2 on $1" >&2; echo 0; return 1; }
	out=$(tc -n sw -s filter show dev "$1" ingress pref "$pref")
	if [[ "$out" =~ Sent\ [0-9]+\ bytes\ ([0-9]+)\ pkt ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo 0
	fi
}
count_mac() { count_flower "$1" "mac-$2" src_mac "$2"; }
mac_count() { flower_count "$1" "mac-$2"; }

# count_mac_all MAC...: count each MAC on every switch port swp0..swpN-1
# (one tc process for all the rules)
count_mac_all() {
	local m i batch=""
	port_count_init
	for m; do
		for ((i = 0; i < SLB_NPORTS; i++)); do
			batch+="filter add dev swp$i ingress pref $SLB_CNT_PREF protocol all flower skip_hw src_mac $m action continue"$'\n'
			SLB_CNT[swp$i/mac-$m]=$SLB_CNT_PREF
			SLB_CNT_PREF=$((SLB_CNT_PREF + 1))
		done
	done
	tcb <<<"$batch"
}
# mac_ports MAC: the switch ports (swpN) on which MAC was seen, space separated
mac_ports() {
	local i c out=()
	for ((i = 0; i < SLB_NPORTS; i++)); do
		c=$(mac_count "swp$i" "$1")
		if [ "${c:-0}" -gt 0 ]; then out+=("swp$i"); fi
	done
	echo "${out[*]}"
}

# --- traffic -----------------------------------------------------------------------
# ns_ping NS ADDR [COUNT]: ping from a namespace; output shown only on failure
ns_ping() {
	local out
	if out=$(ip netns exec "$1" ping -n -q -c "${3:-3}" -i 0.2 -W 2 "$2" 2>&1); then
		return 0
	fi
	echo "$out"
	return 1
}

# --- cleanup -----------------------------------------------------------------------
# cleanup_topo: stop helpers, delete what this test created so far (links,
# namespaces, counters); a test may call it to build a second topology
cleanup_topo() {
	local i
	# "|| true" throughout: this also runs in the EXIT trap of set -e tests
	for i in "${SLB_PIDS[@]}"; do kill "$i" 2>/dev/null || true; done
	for i in "${SLB_PIDS[@]}"; do wait "$i" 2>/dev/null || true; done
	# links first: deleting one end of a veth takes its peer in the netns along
	for ((i = ${#SLB_LINKS[@]} - 1; i >= 0; i--)); do
		if [ -e "/sys/class/net/${SLB_LINKS[i]}" ]; then
			ip link del "${SLB_LINKS[i]}" 2>/dev/null || true
		fi
	done
	for ((i = ${#SLB_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${SLB_NS[i]}" 2>/dev/null || true
	done
	for ((i = ${#SLB_SYSCTL[@]} - 2; i >= 0; i -= 2)); do
		echo "${SLB_SYSCTL[i + 1]}" >"${SLB_SYSCTL[i]}" 2>/dev/null || true
	done
	SLB_PIDS=() SLB_LINKS=() SLB_NS=() SLB_NPORTS=0
	SLB_CNT=() SLB_CLSACT=() SLB_SYSCTL=()
	return 0
}

# set_sysctl FILE VALUE: write a /proc/sys file of the host for this test;
# cleanup_topo puts the old value back, also when the test fails
set_sysctl() {
	SLB_SYSCTL+=("$1" "$(cat "$1")")
	echo "$2" >"$1" || die "cannot write $2 to $1"
}
# cleanup_all (EXIT trap): cleanup_topo, keeping the exit code. Unloads nothing.
cleanup_all() {
	local rc=$?
	set +e
	# only the test's own shell: a subshell ending (one a benchmark
	# killed) must not tear the topology down under it
	[ "$BASHPID" = "$$" ] || exit $rc
	cleanup_topo
	exit $rc
}
trap cleanup_all EXIT
