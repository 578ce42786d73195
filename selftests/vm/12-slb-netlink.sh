#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb over netlink, as iproute2, systemd-networkd, NetworkManager and
# ifupdown2 configure bonds.
#
#   ip-slb link add bond0 type bond mode balance-slb slb_... N   (35..38)
#   ip-slb -d link show bond0 / eth0     (IFLA_BOND_SLB_*, IFLA_BOND_SLAVE_SLB_*)
#   slbgen bondattr bond0 TYPE:LEN:VALUE (raw attributes, any number)
#
# Pass: the options are set at creation and changed later, shown in text
# and JSON, equal to sysfs; a bad value is refused with an extended ack
# that names the option and its range, and nothing of that request
# changes (not even an upstream option sent with it); per-slave state
# matches /proc; upstream attributes this kernel does not have are
# accepted and ignored, and an attribute of the wrong size is refused.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

IPS=$(command -v ip-slb) || skip "no ip-slb in the guest (make iproute2 builds it)"
SYS=/sys/class/net/bond0/bonding
sys() { cat "$SYS/$1"; }

load_bonding
must "$IPS" link add bond0 type bond mode balance-slb miimon 50 \
	slb_rebalance_interval 5000 slb_move_gap 40 slb_move_cooldown 30000 \
	slb_mac_table_size 1024
SLB_LINKS+=(bond0)
check_eq "mode set at creation" "$(sys mode)" "balance-slb 7"
check_eq "slb_rebalance_interval set at creation" "$(sys slb_rebalance_interval)" 5000
check_eq "slb_move_gap set at creation" "$(sys slb_move_gap)" 40
check_eq "slb_move_cooldown set at creation" "$(sys slb_move_cooldown)" 30000
check_eq "slb_mac_table_size set at creation" "$(sys slb_mac_table_size)" 1024

out=$("$IPS" -d link show bond0)
for kv in "slb_rebalance_interval 5000" "slb_move_gap 40" "slb_move_cooldown 30000" \
	  "slb_mac_table_size 1024"; do
	check "ip -d link shows '$kv'" grep -q "$kv " <<<"$out"
done
json=$("$IPS" -j -d link show bond0)
check "ip -j -d link: \"slb_move_gap\":40" grep -q '"slb_move_gap":40[,}]' <<<"$json"
check "ip -j -d link: \"slb_mac_table_size\":1024" grep -q '"slb_mac_table_size":1024[,}]' <<<"$json"

# changed later, on a running bond with slaves
topo_switch 2
for i in 0 1; do must ip link set "eth$i" master bond0; done
must ip link set bond0 up
must "$IPS" link set bond0 type bond slb_rebalance_interval 0 slb_move_gap 0 slb_move_cooldown 1000
check_eq "slb_rebalance_interval changed to 0" "$(sys slb_rebalance_interval)" 0
check_eq "slb_move_gap changed to 0" "$(sys slb_move_gap)" 0
check_eq "slb_move_cooldown changed" "$(sys slb_move_cooldown)" 1000
check "ip -d link shows the change" sh -c "$IPS -d link show bond0 | grep -q 'slb_rebalance_interval 0 '"

# bad values: refused, named with their range, nothing changes
bad() {	# bad OPTION VALUE RANGE-TEXT
	local err
	if err=$("$IPS" link set bond0 type bond miimon 77 "$1" "$2" 2>&1); then
		fail "$1 $2 accepted"
		return
	fi
	check "$1 $2: refused with '$3'" grep -qF "$3" <<<"$err"
	check_eq "$1 $2: miimon of the same request not applied" "$(sys miimon)" 50
}
bad slb_rebalance_interval 50 "slb_rebalance_interval: 0 (never) or 100 to 86400000 ms"
bad slb_rebalance_interval 86400001 "slb_rebalance_interval: 0 (never) or 100 to 86400000 ms"
bad slb_move_gap 1001 "slb_move_gap: 0 to 1000 ms"
bad slb_move_cooldown 86400001 "slb_move_cooldown: 0 to 86400000 ms"
bad slb_mac_table_size 1000 "slb_mac_table_size: a power of two from 256 to 65536"
bad slb_mac_table_size 128 "slb_mac_table_size: a power of two from 256 to 65536"
bad slb_mac_table_size 131072 "slb_mac_table_size: a power of two from 256 to 65536"
check_eq "slb_rebalance_interval unchanged" "$(sys slb_rebalance_interval)" 0
check_eq "slb_move_gap unchanged" "$(sys slb_move_gap)" 0
check_eq "slb_mac_table_size unchanged" "$(sys slb_mac_table_size)" 1024
err=$("$IPS" link set bond0 type bond slb_mac_table_size 2048 2>&1)
check "slb_mac_table_size on a running bond refused ($err)" grep -qi "up" <<<"$err"
# ... before anything else of the same request is applied: IFLA_BOND_MIIMON
# (3) comes first in it; the same size again is no change and passes
miimon=$(sys miimon)
out=$(slbgen bondattr bond0 3:4:$((miimon + 100)) 38:4:2048 2>&1)
check "miimon + a new table size while up: refused with a reason ($out)" \
	grep -q "set it while the bond is down" <<<"$out"
check_eq "miimon unchanged by the refused request" "$(sys miimon)" "$miimon"
check_eq "the same table size while up: no change, accepted" \
	"$(slbgen bondattr bond0 38:4:1024 2>&1)" "error 0"
check_eq "slb_mac_table_size still 1024" "$(sys slb_mac_table_size)" 1024

# raw attributes: 4 bytes each.  33 and 34 are upstream's newest
# (IFLA_BOND_BROADCAST_NEIGH, IFLA_BOND_LACP_STRICT, from 6.17 and 7.2):
# a 6.x kernel does not know them and must ignore them, a 7.x kernel
# treats them as upstream does (in this mode: refused), and neither may
# take them for ours.
check "raw IFLA_BOND_SLB_MOVE_GAP (36) = 25 accepted" slbgen bondattr bond0 36:4:25
check_eq "raw attribute applied" "$(sys slb_move_gap)" 25
out=$(slbgen bondattr bond0 36:1:7 2>&1)
check "a 1-byte IFLA_BOND_SLB_MOVE_GAP refused ($out)" test "${out%% *}" = error -a "$out" != "error 0"
check_eq "slb_move_gap still 25" "$(sys slb_move_gap)" 25
for a in 33 34; do
	out=$(slbgen bondattr bond0 "$a:1:1" 36:4:30 2>&1)
	case $(uname -r) in
	6.*)
		check_eq "unknown attribute $a with slb_move_gap 30: accepted" "$out" "error 0"
		check_eq "slb_move_gap 30 after attribute $a" "$(sys slb_move_gap)" 30
		;;
	*)
		check "upstream attribute $a refused in balance-slb ($out)" \
			grep -q "not supported in mode" <<<"$out"
		check_eq "slb_move_gap unchanged after attribute $a" "$(sys slb_move_gap)" 25
		;;
	esac
	must slbgen bondattr bond0 36:4:25 >/dev/null
done

# per slave: buckets, load, moves, LACP port, as /proc says
topo_vms 2
for k in 0 1; do in_ns vm$k slbgen send vm$k -s "$(vm_mac $k)" -c 20 -r 200 >/dev/null; done
sleep 1.2
total=0
for s in eth0 eth1; do
	out=$("$IPS" -d link show "$s")
	nb=$(sed -n 's/.*slb_buckets \([0-9]*\) .*/\1/p' <<<"$out")
	proc=$(awk -v s="$s" '$0 == "Slave Interface: " s { f = 1 } f && /^SLB buckets:/ { print $3; exit }' /proc/net/bonding/bond0)
	check_eq "$s: slb_buckets as in /proc" "$nb" "$proc"
	check "$s: slb_load, slb_moves_in/out and slb_lacp_port shown" \
		sh -c "echo '$out' | grep -q 'slb_load [0-9]* slb_moves_in [0-9]* slb_moves_out [0-9]* slb_lacp_port 0 '"
	total=$((total + ${nb:-0}))
done
check "the VMs' buckets are counted on the slaves ($total)" test "$total" -ge 1
json=$("$IPS" -j -d link show eth0)
check "ip -j -d link show eth0: slb_buckets" grep -q '"slb_buckets":[0-9]' <<<"$json"

# another mode: no balance-slb attributes shown
must ip link add bond1 type bond mode active-backup
SLB_LINKS+=(bond1)
check_fail "active-backup bond shows no slb_ options" sh -c "$IPS -d link show bond1 | grep -q slb_"
err=$("$IPS" link set bond1 type bond slb_move_gap 10 2>&1)
check "slb_move_gap on active-backup refused ($err)" test -n "$err"
end_test
