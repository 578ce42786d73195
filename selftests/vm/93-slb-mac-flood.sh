#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Hostile guest: 100,000 distinct source MACs (untagged and on VLAN 10) at
# full rate.  The bond's memory stays bounded (its MAC table has a fixed
# size; the figure is reported), the known MACs never exceed the table,
# vm0 keeps its bucket and its traffic, announcements stay within their
# rate limit, and nothing is logged per frame.  (Rebalancing is off here:
# the flood's load could legitimately move buckets; that is tested
# elsewhere.)  Learning is off on the bridges' flood-facing ports so that
# their FDBs do not hide the bond's own memory use.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
topo_vms 1
gen_add
VM0=$(vm_mac 0)
ns_ping vm0 "$SRV_IP4" >/dev/null || die "vm0 cannot reach the server"
slave0=$(slb_slave_of "$VM0")
[ -n "$slave0" ] || die "vm0 not placed"
must bridge link set dev vhgen learning off
must bridge -n sw link set dev swp0 learning off
must bridge -n sw link set dev swp1 learning off

mem_avail() { sync; echo 3 >/proc/sys/vm/drop_caches; awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }
m0=$(mem_avail)
ann0=$(proc_val "Announcements sent")
log0=$(dmesg | wc -l)
t0=$SECONDS

in_ns gen slbgen send gen0 -s 02:66:00:00:00:00 -n 60000 -c 120000 -r 0 -d $SRV_MAC >/tmp/flood0.out &
SLB_PIDS+=($!)
in_ns gen slbgen send gen0 -s 02:67:00:00:00:00 -n 40000 -c 80000 -r 0 -v 10 -d $SRV_MAC >/tmp/flood10.out &
SLB_PIDS+=($!)
sleep 1
ping_out=$(in_ns vm0 ping -q -c 20 -i 0.2 -W 1 "$SRV_IP4" 2>&1)
for p in "${SLB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
SLB_PIDS=()
secs=$((SECONDS - t0 + 1))
log "flood: $(cat /tmp/flood0.out) untagged, $(cat /tmp/flood10.out) on VLAN 10, in about $secs s"

m1=$(mem_avail)
used=$(((m0 - m1) / 1024))
known=$(proc_val "Known MACs")
full=$(($(proc_val "MACs not learned (table full)") + $(proc_val "MACs not learned (their port holds its share)")))
ann=$(($(proc_val "Announcements sent") - ann0))
logged=$(($(dmesg | wc -l) - log0))
log "memory used during the flood: $used MiB (MemAvailable), known MACs $known, not learned $full, announcements $ann, kernel log lines $logged"
check "bond memory bounded: MemAvailable fell by $used MiB (< 32)" test "$used" -lt 32
check "known MACs within the table ($known <= 4096)" test "$known" -le 4096
check "MACs beyond the table or their port's share counted, not learned ($full)" test "$full" -gt 0
check_eq "vm0 keeps its bucket's slave" "$(slb_slave_of "$VM0")" "$slave0"
check "vm0's traffic got through the flood: $(echo "$ping_out" | grep -o '[0-9]*% packet loss')" \
	sh -c "echo '$ping_out' | grep -Eq ' ([0-9]|1[0-9])% packet loss'"
check "announcements within the rate limit ($ann <= 1024/s x $secs s)" test "$ann" -le $((1024 * secs))
check "nothing logged per frame ($logged new kernel log lines)" test "$logged" -lt 20
check "vm0 still reaches the server" ns_ping vm0 "$SRV_IP4"
end_test
