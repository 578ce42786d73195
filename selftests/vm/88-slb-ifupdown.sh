#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Debian's ifupdown with the ifenslave hooks (the real packages of the
# host's release, unpacked into the guest by run.sh --extra-tree) brings
# up the stanza of balance-slb-admin.rst as written there:
#
#   server --- swsrv [br0 in netns sw] swp0 === eth0 \
#                                     swp1 === eth1  bond0 (ifup) -- br0 -- vm0, vm1
#
# bond-mode balance-slb and bond-miimon reach the kernel through
# ifenslave's sysfs writes before the slaves are added, the slb_* options
# through the stanza's "up" lines; the VMs reach the server; ifdown
# removes the bond.
source "$(dirname "$0")/../lib.sh"

hook=/etc/network/if-pre-up.d/ifenslave
[ -x "$hook" ] || skip "Debian's ifupdown and ifenslave are not in this guest (run.sh --extra-tree \$(tools/vm/guest-debs.sh ifupdown ifenslave))"
# busybox has an ifup too: this must be Debian's
ver=$(ifup --version 2>&1 | head -1)
case $ver in
*"ifup version 0."*) log "$ver" ;;
*) skip "ifup is not Debian's ifupdown ($ver)" ;;
esac

IFS_FILE=/etc/network/interfaces
cleanup_ifupdown() {
	local rc=$?
	ifdown --force bond0 >/dev/null 2>&1
	rm -f "$IFS_FILE"
	(exit $rc)
	cleanup_all
}
trap cleanup_ifupdown EXIT

load_bonding
topo_switch 2
vms_on_br0

mkdir -p /run/network /etc/network
# the stanza of balance-slb-admin.rst, bond0 put into br0 without
# bridge-utils
cat >"$IFS_FILE" <<'EOF'
auto bond0
iface bond0 inet manual
    bond-slaves eth0 eth1
    bond-mode balance-slb
    bond-miimon 100
    up echo 5000 > /sys/class/net/bond0/bonding/slb_rebalance_interval
    up echo 50 > /sys/class/net/bond0/bonding/slb_move_gap
    up ip link set bond0 master br0
EOF
out=$(ifup -v bond0 2>&1)
rc=$?
echo "$out" | sed 's/^/ifup: /' | tail -25
check_eq "ifup bond0 exits 0" "$rc" 0
[ -d /sys/class/net/bond0 ] || die "ifup made no bond0"
SLB_LINKS+=(bond0)
quiet_if bond0
b=/sys/class/net/bond0/bonding
check_eq "bond-mode balance-slb reached the kernel" "$(cat $b/mode)" "balance-slb 7"
check_eq "bond-miimon 100" "$(cat $b/miimon)" 100
check_eq "bond-slaves eth0 eth1" "$(cat $b/slaves)" "eth0 eth1"
check_eq "up line: slb_rebalance_interval 5000" "$(cat $b/slb_rebalance_interval)" 5000
check_eq "up line: slb_move_gap 50" "$(cat $b/slb_move_gap)" 50
check_eq "bond0 is a port of br0" "$(basename "$(readlink /sys/class/net/bond0/master)")" br0
# operstate follows through linkwatch, up to a second later
check "bond0 is up" wait_for -t $((5 * SLB_SLOW)) \
	sh -c '[ "$(cat /sys/class/net/bond0/operstate)" = up ]'
log "bond0 operstate: $(cat /sys/class/net/bond0/operstate)"
# shellcheck disable=SC2016 # expanded by sh -c
wait_for -t 5 sh -c '[ "$(grep -c "^MII Status: up" /proc/net/bonding/bond0)" = 3 ]' >/dev/null
for k in 0 1; do
	check "vm$k reaches the server through the bond ifup made" ping_tries "vm$k" "$SRV_IP4"
done

out=$(ifdown -v bond0 2>&1)
rc=$?
echo "$out" | sed 's/^/ifdown: /' | tail -10
check_eq "ifdown bond0 exits 0" "$rc" 0
check "ifdown removed bond0" test ! -e /sys/class/net/bond0
check_eq "no bond left" "$(cat /sys/class/net/bonding_masters)" ""
end_test
