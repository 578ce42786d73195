#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Only real IGMP/MLD membership reports are steered to the receive slave
# with a rewritten source MAC.  From vm0 (its bucket on the other slave):
# an IPv4 later fragment with protocol 2 and a report's type byte, and a
# version-6 header behind ethertype 0x0800, leave unchanged from vm0's MAC
# on vm0's slave; an MLDv2 report behind a destination options header is
# a report and leaves through the receive slave from the report MAC.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 50
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
VM0=$(vm_mac 0)
# vm0 sends only what we craft below
must ip netns exec vm0 sh -c 'echo 1 >/proc/sys/net/ipv6/conf/vm0/disable_ipv6'
must ns_ping vm0 "$SRV_IP4" 1
rx=$(sed -n 's/^Broadcast\/multicast receive slave: //p' /proc/net/bonding/bond0)
other=eth0
[ "$rx" = eth0 ] && other=eth1
must sh -c "echo '$VM0 $other' >$SYS/slb_migrate"
must wait_for -t 3 slb_settled "$VM0" "$other"
RMAC=$(proc_val "Source MAC of multicast reports")

# craft TYPE DST HEX: 5 frames from vm0; prints "frames-from-vm0-on-its-port frames-from-report-mac-on-rx-port"
craft() {
	must listen_bg /tmp/cl.out sw swp0,swp1 -t 600 -e "$1"
	local pid=$LISTEN_PID
	in_ns vm0 slbgen send vm0 -s "$VM0" -d "$2" -e "$1" -x "$3" -c 5 -r 50 -l 100 >/dev/null
	sleep 0.5
	stop_bg $pid
	awk -v vm="$VM0" -v vp="sw${other/eth/p}" -v rm="$RMAC" -v rp="sw${rx/eth/p}" '
		$1 == vp && $2 == vm { a += $4 } $1 == rp && $2 == rm { b += $4 }
		END { print a + 0, b + 0 }' /tmp/cl.out
}
frag=4500001c00000001010200 # version 4, later fragment (offset 8), protocol 2
frag+=00c000020aef01020316000000ef010203
check_eq "IPv4 later fragment with protocol 2: not steered (vm0's/report MAC)" \
	"$(craft 0x0800 01:00:5e:01:02:03 $frag)" "5 0"
v6in4=6500001c000000000102000
v6in4+=0c000020aef01020316000000ef010203
check_eq "version 6 behind ethertype 0x0800: not steered" \
	"$(craft 0x0800 01:00:5e:01:02:03 $v6in4)" "5 0"
mld=6000000000103c01fe800000000000000000000000000001
mld+=ff0200000000000000000000000000163a000104000000008f00000000000000
check_eq "MLDv2 report behind destination options: steered" \
	"$(craft 0x86dd 33:33:00:00:00:16 $mld)" "0 5"
end_test
