#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The examples of Documentation/networking/balance-slb-admin.rst marked as
# tested by this file, run as written there (bond0, eth0/eth1, bridge br0):
#   - modprobe.d default mode, inherited by a bond created without a mode
#     (what systemd-networkd and ifupdown2 do when Mode= is not given)
#   - the plain bring-up commands (ifupdown "manual" stanza, systemd unit,
#     NetworkManager workaround)
#   - migrating a running active-backup or balance-tlb bond to balance-slb
#   - checking that the loaded bonding is ours
# and README.md's modprobe line and bring-up with its status commands.
source "$(dirname "$0")/../lib.sh"

mode_of() { cat "/sys/class/net/$1/bonding/mode"; }
CONF=/etc/modprobe.d/bonding-slb.conf
cleanup_conf() { local rc=$?; rm -f "$CONF"; (exit $rc); cleanup_all; }
trap cleanup_conf EXIT

vms_reach_server() {	# DESC
	# both slaves and the bond up (miimon) before judging reachability
	# shellcheck disable=SC2016 # expanded by sh -c
	wait_for -t 5 sh -c '[ "$(grep -c "^MII Status: up" /proc/net/bonding/bond0)" = 3 ]' >/dev/null
	check "$1: vm0 reaches the server" ping_tries vm0 "$SRV_IP4"
	check "$1: vm1 reaches the server" ping_tries vm1 "$SRV_IP4"
}

# --- default mode from modprobe.d --------------------------------------------------
if [ -d /sys/module/bonding ]; then
	read -r -a bonds </sys/class/net/bonding_masters || true
	for b in "${bonds[@]}"; do ip link del "$b"; done
	must modprobe -r bonding
fi
mkdir -p /etc/modprobe.d
cat >"$CONF" <<'EOF'
options bonding mode=balance-slb max_bonds=0
EOF
must modprobe bonding
check_eq "modprobe.d: no bond created at load (max_bonds=0)" \
	"$(cat /sys/class/net/bonding_masters)" ""
check "our bonding is loaded (/sys/module/bonding/version)" \
	grep -q '+slb$' /sys/module/bonding/version
log "bonding version: $(cat /sys/module/bonding/version)"
must ip link add bond0 type bond miimon 100
SLB_LINKS+=(bond0)
check_eq "modprobe.d: bond0 made without a mode is balance-slb" \
	"$(mode_of bond0)" "balance-slb 7"
must ip link del bond0
rm -f "$CONF"
cleanup_topo

# --- plain bring-up ------------------------------------------------------------------
load_bonding
topo_switch 2
vms_on_br0
# as in the documentation
ip link add bond0 type bond
echo balance-slb > /sys/class/net/bond0/bonding/mode
echo 100 > /sys/class/net/bond0/bonding/miimon
ip link set eth0 down
ip link set eth0 master bond0
ip link set eth1 down
ip link set eth1 master bond0
ip link set bond0 master br0
ip link set bond0 up
# end
SLB_LINKS+=(bond0)
quiet_if bond0
check_eq "bring-up: mode" "$(mode_of bond0)" "balance-slb 7"
check_eq "bring-up: slaves" "$(cat /sys/class/net/bond0/bonding/slaves)" "eth0 eth1"
# README's status commands
check "bring-up: /proc/net/bonding/bond0 shows the mode" \
	grep -q "^Bonding Mode: source load balancing (balance-slb)" /proc/net/bonding/bond0
check "bring-up: debugfs slb_buckets readable" \
	grep -q "^# bucket" /sys/kernel/debug/bonding/bond0/slb_buckets
check_eq "bring-up: bond0 is a port of br0" \
	"$(basename "$(readlink /sys/class/net/bond0/master)")" br0
vms_reach_server "bring-up"
cleanup_topo

# --- migrating a running bond ----------------------------------------------------------
for from in active-backup balance-tlb; do
	load_bonding
	topo_switch 2
	vms_on_br0
	must ip link add bond0 type bond mode "$from" miimon 100
	SLB_LINKS+=(bond0)
	quiet_if bond0
	ipb <<-EOF
		link set eth0 master bond0
		link set eth1 master bond0
		link set bond0 master br0
		link set bond0 up
	EOF
	vms_reach_server "$from before"
	# as in the documentation
	ip link set bond0 down
	ip link set eth0 nomaster
	ip link set eth1 nomaster
	echo balance-slb > /sys/class/net/bond0/bonding/mode
	ip link set eth0 master bond0
	ip link set eth1 master bond0
	ip link set bond0 up
	# end
	check_eq "$from -> balance-slb: mode" "$(mode_of bond0)" "balance-slb 7"
	check_eq "$from -> balance-slb: slaves" \
		"$(cat /sys/class/net/bond0/bonding/slaves)" "eth0 eth1"
	check_eq "$from -> balance-slb: miimon kept" \
		"$(cat /sys/class/net/bond0/bonding/miimon)" 100
	check_eq "$from -> balance-slb: still a port of br0" \
		"$(basename "$(readlink /sys/class/net/bond0/master)")" br0
	check "$from -> balance-slb: /proc/net/bonding/bond0" \
		grep -qx "Bonding Mode: source load balancing (balance-slb)" /proc/net/bonding/bond0
	vms_reach_server "$from -> balance-slb"
	cleanup_topo
done

# --- README: a bond0 from module parameters ----------------------------------------
read -r -a bonds </sys/class/net/bonding_masters || true
for b in "${bonds[@]}"; do ip link del "$b"; done
must modprobe -r bonding
# as in README.md
modprobe bonding mode=balance-slb miimon=100
# end
check_eq "modprobe mode=balance-slb: bond0's mode" "$(mode_of bond0)" "balance-slb 7"
check_eq "modprobe miimon=100: bond0's miimon" \
	"$(cat /sys/class/net/bond0/bonding/miimon)" 100
end_test
