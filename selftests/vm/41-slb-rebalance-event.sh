#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb rebalances soon after a big VM starts, not only on the
# interval's tick: with slb_rebalance_interval at 10 minutes, two VMs that
# start sending on the same link (together all of the bond's load) are
# spread over both links within seconds.
#
#   gen: A, B -- hbr0 -- bond0 -- eth0 -- swp0 --+
#                                      \-- eth1 -- swp1 --+-- sw: br0 -- srv
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

# the interval's run stays 10 minutes away for the whole test
slb_two_vms 02:41:00:00:00 600000
# their two frames are gone from the averages (3 s of silence)
sleep 4
moves0=$(proc_val "Total moves")
t0=$(date +%s)
in_ns gen slbgen send gen0 -s $A -c 0 -t 30 -r 600 -l 1000 -d $SRV_MAC >/dev/null &
SLB_PIDS+=($!)
in_ns gen slbgen send gen0 -s $B -c 0 -t 30 -r 300 -l 1000 -d $SRV_MAC >/dev/null &
SLB_PIDS+=($!)
# a run comes 3 s after their first sample; 20 s is a generous bound
# under TCG and still 30 times shorter than the interval
check "a move within 20 s of the VMs starting (interval 600 s)" \
	wait_for -t 20 sh -c "[ \"\$(grep -c ' eth1 ' $SLB_DBG/bond0/slb_buckets)\" -gt 0 ]"
log "first move after $(($(date +%s) - t0)) s"
sa=$(slb_slave_of $A)
sb=$(slb_slave_of $B)
log "A on $sa, B on $sb"
check "one of A, B on eth1" test "$sa" = eth1 -o "$sb" = eth1
check "not both moved" test "$sa" = eth0 -o "$sb" = eth0
check "moves counted" test "$(proc_val "Total moves")" -gt "$moves0"
end_test
