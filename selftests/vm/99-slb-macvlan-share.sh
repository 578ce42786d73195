#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Guests on macvlan/macvtap (libvirt type='direct') send from the host
# itself: no port of their own (skb_iif 0).  One of them floods 100,000
# MACs; it holds at most its share of the MAC table, and another guest
# on the same bond is still learned, placed and reaches the server.
#
#   mv0 (flood, macvlan)   mv1 (macvlan)
#            \              /
#             bond0 (no bridge) -- eth0/eth1 -- sw -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
for k in 0 1; do
	ns_add "mv$k"
	must ip link add "mv$k" link bond0 address "02:00:00:00:0a:0$k" type macvlan mode bridge
	must ip link set "mv$k" netns "mv$k"
	in_ns "mv$k" sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"
	ipb "mv$k" <<-EOF
		addr add 192.0.2.$((40 + k))/24 dev mv$k
		link set mv$k up
	EOF
done
must bridge -n sw link set dev swp0 learning off
must bridge -n sw link set dev swp1 learning off

in_ns mv0 slbgen send mv0 -s 02:66:00:00:00:00 -n 100000 -c 100000 -r 0 -d $SRV_MAC >/tmp/mvflood.out
log "flood from mv0: $(cat /tmp/mvflood.out)"
known=$(proc_val "Known MACs")
share=$(sed -n 's/^Known MACs: .*at most \([0-9]*\) from one port.*/\1/p' /proc/net/bonding/bond0)
limited=$(proc_val "MACs not learned (their port holds its share)")
check "mv0 holds at most its share ($known known MACs, share $share)" \
	test "$known" -le $((share + 8))
check "the rest of its flood counted as not learned ($limited)" test "$limited" -gt 0

must ping_tries mv1 "$SRV_IP4"
s=$(slb_slave_of 02:00:00:00:0a:01)
check "mv1 learned after mv0's flood (on '$s')" test -n "$s"
check "mv1 reaches the server" ns_ping mv1 "$SRV_IP4"
end_test
