#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# iproute2 with patches/iproute2 (make iproute2; in the guest as ip-slb, next
# to the distribution's ip) creates balance-slb bonds by name and by number,
# shows them as balance-slb, and the bonds carry traffic.  Skipped when the
# guest has no ip-slb.
source "$(dirname "$0")/../lib.sh"

IPS=$(command -v ip-slb) || skip "no ip-slb in the guest (make iproute2 builds it)"
log "ip-slb: $($IPS -V)"

mode_of() { cat "/sys/class/net/$1/bonding/mode"; }
has() { [[ $1 == *"$2"* ]]; }	# has TEXT SUBSTRING

load_bonding

# the distribution's ip, for the record (a later iproute2 may know the mode)
if out=$(ip link add bstock type bond mode balance-slb 2>&1); then
	log "stock ip accepts mode balance-slb: $(ip -d link show bstock | grep -o 'bond mode [^ ]*')"
	ip link del bstock
else
	log "stock ip refuses mode balance-slb: $out"
fi

for m in balance-slb 7; do
	log "--- ip-slb link add bond0 type bond mode $m"
	topo_switch 2
	must "$IPS" link add bond0 type bond mode "$m" miimon 50
	SLB_LINKS+=(bond0)
	quiet_if bond0
	check_eq "mode $m: sysfs mode" "$(mode_of bond0)" "balance-slb 7"
	check_eq "mode $m: miimon from the same request" \
		"$(cat /sys/class/net/bond0/bonding/miimon)" 50
	must "$IPS" link set eth0 master bond0
	must "$IPS" link set eth1 master bond0
	must "$IPS" link set bond0 up
	topo_vms 2
	out=$("$IPS" -d link show bond0)
	check "mode $m: ip-slb -d link show says mode balance-slb" \
		has "$out" " bond mode balance-slb "
	if has "$out" UNKNOWN; then fail "mode $m: UNKNOWN in: $out"; fi
	log "mode $m: the distribution's ip shows: $(ip -d link show bond0 | grep -o 'bond mode [^ ]*')"
	out=$("$IPS" -d -j link show bond0)
	check "mode $m: ip-slb -d -j link show has \"mode\":\"balance-slb\"" \
		has "$out" '"mode":"balance-slb"'
	check "mode $m: /proc/net/bonding/bond0 mode" \
		grep -qx "Bonding Mode: source load balancing (balance-slb)" /proc/net/bonding/bond0
	check "mode $m: vm0 reaches the server" ns_ping vm0 "$SRV_IP4"
	check "mode $m: vm1 reaches the server" ns_ping vm1 "$SRV_IP4"
	cleanup_topo
done

# changing the mode of an existing (down, slave-less) bond, and back
must "$IPS" link add bond1 type bond mode active-backup
SLB_LINKS+=(bond1)
check "ip-slb link set type bond mode balance-slb" \
	"$IPS" link set bond1 type bond mode balance-slb
check_eq "bond1 now balance-slb" "$(mode_of bond1)" "balance-slb 7"
check "ip-slb link set type bond mode 1" "$IPS" link set bond1 type bond mode 1
check_eq "bond1 back to active-backup" "$(mode_of bond1)" "active-backup 1"
check_fail "ip-slb refuses mode 8" "$IPS" link set bond1 type bond mode 8
check_fail "ip-slb refuses mode balance-slbx" "$IPS" link set bond1 type bond mode balance-slbx
check_eq "bond1 mode unchanged" "$(mode_of bond1)" "active-backup 1"
out=$("$IPS" link help bond 2>&1 || true)
check "ip-slb link help bond lists balance-slb" has "$out" "balance-slb"
end_test
