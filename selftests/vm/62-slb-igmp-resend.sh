#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# When the broadcast/multicast receive slave changes, balance-slb has the
# host's multicast memberships re-announced (bonding's resend_igmp and its
# own general query), so a snooping switch learns them again.  Reports
# leave from the bond's report MAC (see 63-slb-mcast-steering).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
must ip addr add 192.0.2.100/24 dev bond0
must ip addr add 239.1.2.3/32 dev bond0 autojoin
BM=$(proc_val "Source MAC of multicast reports")
[ -n "$BM" ] && [ "$BM" != "$(cat /sys/class/net/bond0/address)" ] ||
	die "no report MAC of its own: '$BM'"
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
other=eth0
[ "$rx" = eth0 ] && other=eth1
sleep 4	# the unsolicited reports after the join are over

reports() {	# count IPv4 frames from the bond while running "$@"
	in_ns sw slbgen recv "$(sw_ports)" -t 3 -e 0x0800 >/tmp/igmp.out 2>/dev/null &
	local pid=$!
	sleep 0.3
	"$@"
	wait $pid
	awk -v m="$BM" -v p="${PORT:-}" 'tolower($2) == tolower(m) && (p == "" || $1 == p) { s += $4 } END { print s + 0 }' /tmp/igmp.out
}
n=$(reports true)
check_eq "no report while nothing changes" "$n" 0
n=$(PORT=sw${other/eth/p} reports sh -c "echo $other >/sys/class/net/bond0/bonding/primary")
check "memberships re-announced on sw${other/eth/p} after the receive slave moved to $other ($n)" \
	test "$n" -gt 0
check_eq "receive slave is $other" \
	"$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)" "$other"
end_test
