#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb on two unstacked switches joined by an inter-switch link, the
# setup the mode is made for:
#
#   srv --- sw (br0) ---- isl ---- sw2 (br0)
#            |                       |
#           eth0                    eth1
#             \------- bond0 ------/
#                        |
#                  hbr0: vm0, vm1
#
# A broadcast reaches the host twice, directly on eth0 and through the
# other switch on eth1; a VM's own broadcast comes back the same way.
# Pass: every VM reaches the server from either slave; the server's
# broadcasts reach each VM exactly once; a VM gets none of its own frames
# back, the host bridge keeps it on its own port, and each switch learns it
# on one port only (no flapping); when eth1's link fails, the VM on it
# reaches the server again through eth0.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

load_bonding
topo_switch 2
# switch 2: eth1's port moves to its own switch, joined to the first
ns_add sw2
must ip netns exec sw2 sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6'
must ip -n sw link set swp1 netns sw2
ipb sw2 <<-EOF
	link add br0 type bridge mcast_snooping 0
	link set br0 up
	link set swp1 master br0 up
	link add isl2 type veth peer name isl1 netns sw
	link set isl2 master br0 up
EOF
must ip -n sw link set isl1 master br0 up
topo_bond bond0 balance-slb miimon 50
topo_vms 2
SYS=/sys/class/net/bond0/bonding
VM0=$(vm_mac 0)
VM1=$(vm_mac 1)

# vm0 on eth0, vm1 on eth1
in_ns vm0 slbgen send vm0 -s "$VM0" -c 1 >/dev/null
in_ns vm1 slbgen send vm1 -s "$VM1" -c 1 >/dev/null
check "vm0 to eth0" sh -c "echo '$VM0 eth0' >$SYS/slb_migrate"
check "vm1 to eth1" sh -c "echo '$VM1 eth1' >$SYS/slb_migrate"
check "vm0 reaches the server through sw" ping_tries vm0 $SRV_IP4
check "vm1 reaches the server through sw2 and the inter-switch link" ping_tries vm1 $SRV_IP4

# the server's broadcasts, once each, whichever way they came
for k in 0 1; do
	in_ns vm$k slbgen recv vm$k -t 3 >/tmp/two-vm$k.out 2>/dev/null &
done
sleep 0.3
in_ns srv slbgen send srv0 -s $SRV_MAC -c 50 -r 200 >/dev/null
wait
for k in 0 1; do
	got=$(awk -v m="$SRV_MAC" '$2 == m { s += $4 } END { print s + 0 }' /tmp/two-vm$k.out)
	check_eq "vm$k gets the server's 50 broadcasts once each" "$got" 50
done

# a VM's broadcasts come back through the other switch: dropped
looped0=$(proc_val "Looped-back frames dropped")
for k in 0 1; do
	m=$(vm_mac $k)
	in_ns vm$k slbgen recv vm$k -t 3 >/tmp/two-own$k.out 2>/dev/null &
	pid=$!
	sleep 0.3
	in_ns vm$k slbgen send vm$k -s "$m" -c 30 -r 100 >/dev/null
	wait $pid
	own=$(awk -v m="$m" '$2 == m { s += $4 } END { print s + 0 }' /tmp/two-own$k.out)
	check_eq "vm$k gets none of its own broadcasts back" "$own" 0
	check "host bridge keeps vm$k on vh$k" \
		sh -c "bridge fdb show br hbr0 | grep -qi '^$m dev vh$k'"
	check_fail "host bridge never learned vm$k on bond0" \
		sh -c "bridge fdb show br hbr0 | grep -qi '^$m dev bond0'"
done
looped=$(($(proc_val "Looped-back frames dropped") - looped0))
check "reflections through the other switch dropped ($looped)" test "$looped" -ge 30
# each switch knows each VM on one port: its slave's, or the link to the other
fdb_port() { ip netns exec "$1" bridge fdb show br br0 | awk -v m="$2" 'tolower($1) == m && $2 == "dev" { print $3 }' | sort -u | tr '\n' ' '; }
check_eq "sw learned vm0 on swp0 only" "$(fdb_port sw "$VM0")" "swp0 "
check_eq "sw learned vm1 on the inter-switch link only" "$(fdb_port sw "$VM1")" "isl1 "
check_eq "sw2 learned vm1 on swp1 only" "$(fdb_port sw2 "$VM1")" "swp1 "
check_eq "sw2 learned vm0 on the inter-switch link only" "$(fdb_port sw2 "$VM0")" "isl2 "

# eth1's link fails: vm1 moves to eth0 and is announced there
must ip -n sw2 link set swp1 down
check "vm1 reaches the server again through eth0" ping_tries vm1 $SRV_IP4
check "sw2 now learns vm1 over the inter-switch link" \
	wait_for -t 5 sh -c "ip netns exec sw2 bridge fdb show br br0 | grep -qi '^$VM1 dev isl2'"
must ip -n sw2 link set swp1 up
check "vm0 still reaches the server" ping_tries vm0 $SRV_IP4
end_test
