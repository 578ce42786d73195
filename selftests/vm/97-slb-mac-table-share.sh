#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# One guest cannot take the whole MAC table.  After gen floods 100,000 MACs
# through its one port, a VM that starts later is still learned, announced
# when its bucket moves and loop-filtered; the flood holds at most its
# port's share.  The table size is an option: a power of two in
# 256..65536, set while the bond is down; bad values change nothing.  A
# further MAC of the flooding guest, which the table refused and so cannot
# be announced, still gets its frames when it falls silent after a move.
#
#   gen (100,000 MACs)  vm0  vm1 (starts after the flood)
#              \         |    /
#               hbr0 -- bond0 -- eth0/eth1 -- switch -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
must ip link add bond0 type bond
SLB_LINKS+=(bond0)
must sh -c "echo balance-slb >$SYS/mode"
for v in 100 0 128 131072 -1 abc "4096 8192"; do
	check_fail "slb_mac_table_size '$v' refused" sh -c "echo '$v' >$SYS/slb_mac_table_size"
done
check_eq "default table size" "$(cat $SYS/slb_mac_table_size)" 4096
check "slb_mac_table_size 8192 taken while down" sh -c "echo 8192 >$SYS/slb_mac_table_size"
ip link del bond0
SLB_LINKS=()

topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
check_fail "slb_mac_table_size refused while the bond is up" \
	sh -c "echo 8192 >$SYS/slb_mac_table_size"
check_eq "table size unchanged" "$(cat $SYS/slb_mac_table_size)" 4096
topo_vms 1
gen_add
must ns_ping vm0 "$SRV_IP4" 1
must bridge link set dev vhgen learning off
must bridge -n sw link set dev swp0 learning off
must bridge -n sw link set dev swp1 learning off

in_ns gen slbgen send gen0 -s 02:66:00:00:00:00 -n 100000 -c 100000 -r 0 -d $SRV_MAC >/tmp/flood.out
log "flood: $(cat /tmp/flood.out)"
known=$(proc_val "Known MACs")
share=$(sed -n 's/^Known MACs: .*at most \([0-9]*\) from one port.*/\1/p' /proc/net/bonding/bond0)
limited=$(proc_val "MACs not learned (their port holds its share)")
check "the flood holds at most its share ($known known MACs, share $share)" \
	test "$known" -le $((share + 8))
check "the rest of the flood counted as not learned ($limited)" test "$limited" -gt 0

# a VM that starts after the flood
VM1=$(vm_mac 1)
vm_add 1
# no IPv6 chatter (DAD, router solicitations) of its own: the switch is
# to see vm1 only as our announcement shows it
in_ns vm1 sh -c "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6"
must ns_ping vm1 "$SRV_IP4" 1
s=$(slb_slave_of "$VM1")
check "vm1 learned after the flood (on '$s')" test -n "$s"
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
to=eth0
[ "$rx" = eth0 ] && to=eth1
if [ "$s" = "$to" ]; then
	# on the target already: over to the receive slave first, so that
	# the move checked below happens on every run
	must sh -c "echo '$VM1 $rx' >$SYS/slb_migrate"
	must wait_for -t 3 slb_settled "$VM1" "$rx"
	sleep 0.5
fi
ann=$(proc_val "Announcements sent")
must listen_bg /tmp/an.out sw "$(sw_ports)" -t 600 -e 0
must sh -c "echo '$VM1 $to' >$SYS/slb_migrate"
wait_for -t $((5 * SLB_SLOW)) proc_at_least "Announcements sent" $((ann + 1))
sleep 0.5
stop_bg $LISTEN_PID
check "vm1's move announced" test "$(proc_val "Announcements sent")" -gt "$ann"
check_eq "the switch saw vm1 on ${to/eth/swp}" \
	"$(port_of_mac "$VM1" /tmp/an.out)" "${to/eth/swp}"
check "vm1's bucket on $to, off the receive slave" wait_for -t 3 slb_settled "$VM1" "$to"
looped=$(proc_val "Looped-back frames dropped")
in_ns vm1 slbgen send vm1 -s "$VM1" -c 20 -r 200 >/dev/null
check "vm1's broadcasts looped back are dropped" \
	test "$(proc_val "Looped-back frames dropped")" -ge $((looped + 20))
check "host bridge keeps vm1 on vh1" sh -c "bridge fdb show br hbr0 | grep -qi '^$VM1 dev vh1 '"
check "vm0 still reaches the server" ns_ping vm0 "$SRV_IP4"

# A MAC the table refused cannot be announced.  Silent after its bucket
# moved, the switch still sends its frames to the old port: that slave must
# take them for as long as a switch remembers a MAC, not just 2 s.
X=02:77:00:00:00:01
must bridge -n sw link set dev swp0 learning on
must bridge -n sw link set dev swp1 learning on
lim=$(proc_val "MACs not learned (their port holds its share)")
in_ns gen slbgen send gen0 -s $X -c 1 -d $SRV_MAC >/dev/null
check "$X not learned: gen's port holds its share" \
	test "$(proc_val "MACs not learned (their port holds its share)")" -gt "$lim"
check_fail "$X not in the MAC table" grep -qi "$X" "$SLB_DBG/bond0/slb_buckets"
dmesg -c >/dev/null
must sh -c "echo '$X eth0' >$SYS/slb_migrate"
b=$(dmesg | sed -n "s/.*${X,,} vlan 0 (bucket \([0-9]*\)) moves to.*/\1/p" | tail -1)
bucket_on() { awk -v b="$b" -v s="$1" '$1 == b && $2 == s && $6 == "-" { ok = 1 } END { exit !ok }' "$SLB_DBG/bond0/slb_buckets"; }
must wait_for -t 3 bucket_on eth0
# the switch learns it on swp0, then it falls silent and its bucket moves
in_ns gen slbgen send gen0 -s $X -c 1 -d $SRV_MAC >/dev/null
must sh -c "echo '$X eth1' >$SYS/slb_migrate"
check "bucket $b of $X moved to eth1" wait_for -t 3 bucket_on eth1
# well past the 2 s grace of learned MACs
sleep $((3 * SLB_SLOW))
must listen_bg /tmp/ul.out gen gen0 -t 600
in_ns srv slbgen send srv0 -s $SRV_MAC -d $X -c 100 -r 100 >/dev/null
sleep 0.5
stop_bg $LISTEN_PID
got=$(awk -v m="${SRV_MAC,,}" '$2 == m { s += $4 } END { print s + 0 }' /tmp/ul.out)
log "bond counters: unicast copies dropped $(proc_val "Unicast copies dropped on other slaves")"
check_eq "$X, not learned and silent since its bucket moved, gets the server's 100 frames" "$got" 100
end_test
