#!/bin/bash
# Harness smoke test with upstream bonding only: a 2-slave balance-xor bond
# (layer2 hash; the switch side is a static LAG) under a host bridge with 4 VMs; every VM must reach the
# server over IPv4 and IPv6, every VM MAC must show up in the switch's
# per-port counters, and checks that should fail must fail.
# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "$0")/../lib.sh"

NVMS=4

load_bonding
topo_switch 2
switch_lag balance-xor xmit_hash_policy layer2
topo_bond bond0 balance-xor xmit_hash_policy layer2 miimon 100
topo_vms $NVMS
port_count_init
for ((k = 0; k < NVMS; k++)); do count_mac_all "$(vm_mac $k)"; done
count_mac_all 02:00:00:00:00:ee # nobody uses this one

wait_for -t 10 grep -qx up /sys/class/net/bond0/operstate || die "bond0 not up"
check_eq "bond0 mode" "$(cut -d' ' -f1 /sys/class/net/bond0/bonding/mode)" balance-xor
check_eq "bond0 slaves" "$(cat /sys/class/net/bond0/bonding/slaves)" "eth0 eth1"

for ((k = 0; k < NVMS; k++)); do
	check "vm$k pings server over IPv4" ns_ping vm$k "$SRV_IP4"
	check "vm$k pings server over IPv6" ns_ping vm$k "$SRV_IP6"
done

for ((k = 0; k < NVMS; k++)); do
	mac=$(vm_mac $k)
	ports=$(mac_ports "$mac")
	log "vm$k $mac seen on: ${ports:-nothing} ($(mac_count swp0 "$mac")/$(mac_count swp1 "$mac") pkts)"
	check "vm$k MAC counted on a switch port" test -n "$ports"
done

# The checks must be able to fail: these must all report failure.
check_fail "ping to an unused address fails" ns_ping vm0 192.0.2.200 1
check_eq "unused MAC counted nowhere" "$(mac_ports 02:00:00:00:00:ee)" ""
check_fail "unknown bonding mode is rejected" bash -c 'echo no-such-mode >/sys/class/net/bond0/bonding/mode'

end_test
