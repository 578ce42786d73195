#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Announcements at the scale of a real host: 3000 MACs from one port (a
# table of 65536, so that the port's share holds them all), about half of
# them on eth1; eth1's switch port goes down.  Every MAC that moved is
# announced on swp0 once or twice, none that stayed is, within the rate
# limit (1024 a second), and then announcing stops: the counter stands
# still and no bucket waits to be announced.  The input backlog is 300
# frames here (1000 by default), about a NIC's transmit ring: a burst of
# announcements larger than that loses some, which are never sent again.
#
#   gen (3000 MACs)  vm0
#          \          |
#           hbr0 -- bond0 -- eth0 -- swp0 --\
#                        \-- eth1 -- swp1 --- sw -- srv
#                                 (goes down)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
N=3000
BASE=02:66:00:00:00:00
load_bonding
set_sysctl /proc/sys/net/core/netdev_max_backlog 300
topo_switch 2
topo_bond bond0 balance-slb miimon 100
echo 0 >$SYS/slb_rebalance_interval
must ip link set bond0 down
must sh -c "echo 65536 >$SYS/slb_mac_table_size"
must ip link set bond0 up
topo_vms 1
gen_add
must ping_tries vm0 "$SRV_IP4"

in_ns gen slbgen send gen0 -s $BASE -n $N -c $N -r 2000 -d $SRV_MAC >/tmp/many.out
log "sent: $(cat /tmp/many.out)"
wait_for -t $((10 * SLB_SLOW)) proc_at_least "Known MACs" $N
known=$(proc_val "Known MACs")
check "all $N MACs learned ($known known)" test "$known" -ge $N

# which of the generator's MACs sit on eth1 (they move), which on eth0
awk '$2 == "eth1" { for (i = 7; i <= NF; i++) print $i }' \
	"$SLB_DBG/bond0/slb_buckets" | sed 's|/0$||' | grep -i '^02:66:' | sort >/tmp/moved
awk '$2 == "eth0" { for (i = 7; i <= NF; i++) print $i }' \
	"$SLB_DBG/bond0/slb_buckets" | sed 's|/0$||' | grep -i '^02:66:' | sort >/tmp/stayed
nmoved=$(wc -l </tmp/moved)
log "$nmoved of the generator's MACs on eth1, $(wc -l </tmp/stayed) on eth0"
[ "$nmoved" -gt 1024 ] || die "too few MACs on eth1 for more than one budget ($nmoved)"

ann0=$(proc_val "Announcements sent")
# RARPs (no IPv4 address is known for these MACs), on the survivor's port
must listen_bg /tmp/ann.out sw swp0 -t $((60 * SLB_SLOW)) -e 0x8035
backlog0=$(softnet_drops)
t0=$(cut -d" " -f1 /proc/uptime)
must ip -n sw link set swp1 down
# done: nothing waits and the counter stood still for a second
done_at=""
prev=-1
for ((i = 0; i < 40 * SLB_SLOW; i++)); do
	cur=$(proc_val "Announcements sent")
	if [ "$(proc_val "Buckets waiting to be announced")" = 0 ] && [ "$cur" = "$prev" ]; then
		done_at=$(cut -d" " -f1 /proc/uptime)
		break
	fi
	prev=$cur
	sleep 1
done
secs=$(awk -v a="$t0" -v b="${done_at:-$(cut -d" " -f1 /proc/uptime)}" 'BEGIN { printf "%.1f", b - a - 1 }')
budget=$(((nmoved + 1023) / 1024 + 1))
log "announcing ended after about $secs s (ceil($nmoved/1024) + 1 = $budget s)"
check "announcing ended (no bucket waits, the counter stands still)" test -n "$done_at"
# a generous bound: TCG runs the work late, not this much later
check "it ended within 3 x $budget s + 2 ($secs s)" \
	awk -v s="$secs" -v b="$budget" 'BEGIN { exit !(s <= 3 * b + 2) }'
sleep 2
ann1=$(proc_val "Announcements sent")
check_eq "no announcement after that (counter $cur, 2 s later $ann1)" "$ann1" "$cur"
stop_bg $LISTEN_PID

# per MAC: "moved" or "stayed", then how many announcements swp0 saw
count=$(awk 'FILENAME == "/tmp/moved" { kind[$1] = "moved"; next }
	FILENAME == "/tmp/stayed" { kind[$1] = "stayed"; next }
	{ n[tolower($2)] += $4 }
	END {
		for (m in kind) {
			if (kind[m] == "moved" && !n[m]) never++
			if (kind[m] == "moved" && n[m] > 2) twice++
			if (kind[m] == "moved" && n[m] > max) max = n[m]
			if (kind[m] == "stayed" && n[m]) stayed++
		}
		print never + 0, twice + 0, max + 0, stayed + 0
	}' /tmp/moved /tmp/stayed /tmp/ann.out)
read -r never twice max stayed <<<"$count"
sent=$((ann1 - ann0))
log "moved $nmoved: never announced $never, more than twice $twice (most $max), MACs that stayed announced $stayed; announcements counted $sent"
log "frames dropped by a full input backlog meanwhile: $(($(softnet_drops) - backlog0))"
check_eq "every moved MAC announced on swp0" "$never" 0
check_eq "none more than twice" "$twice" 0
check_eq "no MAC that stayed on eth0 announced" "$stayed" 0
check "at most two announcements per moved MAC ($sent for $nmoved, vm0's included)" \
	test "$sent" -le $((2 * nmoved + 4))
check "the bond still carries vm0" ns_ping vm0 "$SRV_IP4"
must ip -n sw link set swp1 up
end_test
