#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A guest spoofing an outside host's MAC must not cut that host off from a
# VM that has been silent for longer than the MAC ageing time.  vm1 sends
# nothing for 310 s (static neighbours, no IPv6): the bond, the host
# bridge and the switch all forget it, so the server's frames to it are
# flooded to both slaves.  Meanwhile vm0 keeps sending with the server's
# MAC.  The copy that arrives on the slave vm0's spoofed MAC leaves from
# proves that the server is real (a reflection never comes back there),
# so the copy the unicast filter keeps passes: vm1 gets the stream.
#
# 310 s of guest time: it runs only in a boot whose clock skips the
# guest's idle time (slb.timewarp=1, as tools/check.sh boots it).
#
#   vm0 (sends as srv)  vm1 (silent 310 s)
#            \          /
#             hbr0 -- bond0 -- eth0/eth1 -- switch -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

grep -qw slb.timewarp=1 /proc/cmdline || skip "needs a time-warped boot (slb.timewarp=1)"
SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
topo_vms 2
VM1=$(vm_mac 1)
# nobody says anything unasked: no IPv6 (router and MLD chatter) anywhere
for ns in vm0 vm1 srv; do in_ns $ns sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"; done
must ns_ping vm1 "$SRV_IP4" 1
must ip -n srv neigh replace "$(vm_ip4 1)" lladdr "$VM1" dev srv0 nud permanent
must ip -n vm1 neigh replace "$SRV_IP4" lladdr "$SRV_MAC" dev vm1 nud permanent
# vm0 sends with the server's MAC now and then, and during the stream
# (another ethertype than the server's stream: the host bridge floods these
# to vm1 too, and vm1 counts only the stream)
spoof() { in_ns vm0 slbgen send vm0 -s "$SRV_MAC" -d 02:00:00:00:0e:01 -e 0x88b6 "$@" >/dev/null; }
for ((i = 0; i < 3; i++)); do
	spoof -c 5 -r 50
	sleep 100
done
sleep 10
check "the bond forgot vm1" test -z "$(slb_line "$VM1")"
# a Linux bridge keeps an aged entry ("stale") until its next clean-up
# and still forwards by it; a switch that forgot vm1 floods
p=$(bridge -n sw fdb show br br0 | awk -v m="${VM1,,}" 'tolower($1) == m && $2 == "dev" { print $3 }')
[ -z "$p" ] || must bridge -n sw fdb del "$VM1" dev "$p" master
# the spoofed MAC's bucket on eth1, vm1's on eth0: the copy that proves
# the conflict is never the one the unicast filter keeps
dmesg -c >/dev/null
must sh -c "echo '$SRV_MAC eth1' >$SYS/slb_migrate"
must sh -c "echo '$VM1 eth0' >$SYS/slb_migrate"
b=$(dmesg | sed -n 's/.* vlan 0 (bucket \([0-9]*\)) moves to.*/\1/p' | sort -u | wc -l)
[ "$b" -eq 2 ] || skip "the server's and vm1's MACs hash into one bucket"
# past the old slaves' 2 s grace
sleep 3
spoof -c 0 -t 6 -r 50 &
SLB_PIDS+=("$!")
sleep 1
c0=$(proc_val "MAC conflicts (our MACs used behind the switch)")
must listen_bg /tmp/sv.out vm1 vm1 -t 600
in_ns srv slbgen send srv0 -s "$SRV_MAC" -d "$VM1" -c 200 -r 100 >/dev/null
sleep 0.5
stop_bg "$LISTEN_PID"
got=$(awk -v m="${SRV_MAC,,}" 'tolower($2) == m { s += $4 - $7 } END { print s + 0 }' /tmp/sv.out)
dups=$(awk -v m="${SRV_MAC,,}" 'tolower($2) == m { s += $7 } END { print s + 0 }' /tmp/sv.out)
log "vm1 got $got of 200 (duplicates $dups); conflicts counted $(($(proc_val "MAC conflicts (our MACs used behind the switch)") - c0))"
# the first frame's two copies may race: the one the filter keeps can come
# before the one that proves the conflict
check "vm1, silent for 310 s, gets the server's frames ($got of 200)" test "$got" -ge 199
check_eq "none twice" "$dups" 0
end_test
