#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The receive slave loses its link, or is released, under a broadcast stream.
#
#   srv --- sw (floods each broadcast to swp0..swp2) === eth0..eth2 --- bond0 --- vm0
#                   swp1's egress queue: 2 ms (netem)
#
# The server streams numbered broadcasts at 250 frames/s; each slave's
# frames are passed up on its own CPU (RPS), and the switch delays the
# copies for eth1 by 2 ms, as a busy egress queue does.  eth0 is primary,
# so it receives broadcasts and eth1 stands in for it.  20 times each:
# eth0's switch port goes down and up again; eth0 is released and
# enslaved again.  Unlike a change of primary (68-slb-rx-switch), nobody
# knows of these changes before they happen: the copies eth0 passed up in
# the 2 ms before come in again on eth1, and the bond must recognise them.
# Pass: vm0 gets no frame twice, and loses none but what the dead link
# carried before its carrier went off (frames dropped outside the bond, by
# a full input backlog or socket, are counted apart).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

ROUNDS=20
# A twin is recognised while fewer than SLB_RX_RECENT (32) broadcasts went
# up on its CPU since: 128 ms at this rate.  A vCPU the emulator leaves
# waiting longer than that (500 frames/s allowed 64 ms, and two boots on
# two host CPUs once exceeded it) would hold copies past what the bond
# promises to recognise.
RATE=250

load_bonding
topo_switch 3
# the switch forwards to a port again only once linkwatch ran (up to 1 s
# after its link came up), while eth0 has carrier at once: updelay, as on
# a switch whose ports take a while to forward
topo_bond bond0 balance-slb miimon 50 updelay 1500
topo_vms 1
in_ns srv slbgen send srv0 -s $SRV_MAC -c 1 >/dev/null
# each slave's frames on its own CPU, as two NICs' interrupts are on a
# host: the copies of one broadcast are passed up apart, in either order
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
for i in 0 1 2; do echo $((1 << (i % 2))) >/sys/class/net/eth$i/queues/rx-0/rps_cpus; done

echo eth0 >/sys/class/net/bond0/bonding/primary
must in_ns sw tc qdisc add dev swp1 root netem delay 2ms limit 100000

# updelay holds back the slaves enslaved after the first
all_up() { [ "$(grep -c '^MII Status: up' /proc/net/bonding/bond0)" -eq 4 ]; }
wait_for -t 10 all_up || die "slaves not up"
rx_is_eth0() { grep -qx 'Broadcast/multicast receive slave: eth0' /proc/net/bonding/bond0; }
rm -f /tmp/rxloss.acts
listen_bg /tmp/rxloss.out vm0 vm0 -t $((150 * SLB_SLOW))
backlog0=$(softnet_drops)
in_ns srv slbgen send srv0 -s $SRV_MAC -c 0 -t $((120 * SLB_SLOW)) -r $RATE >/tmp/rxloss.sent &
spid=$!
sleep 0.5
flaps=0 releases=0
for ((i = 0; i < ROUNDS; i++)); do
	echo "$(cut -d' ' -f1 /proc/uptime) flap" >>/tmp/rxloss.acts
	ip -n sw link set swp0 down
	sleep 0.2	# miimon (50 ms) sees it down, and updelay applies
	ip -n sw link set swp0 up
	wait_for -t 10 rx_is_eth0 && flaps=$((flaps + 1))
	echo "$(cut -d' ' -f1 /proc/uptime) release" >>/tmp/rxloss.acts
	ip link set eth0 nomaster
	ip link set eth0 master bond0
	wait_for -t 10 rx_is_eth0 && releases=$((releases + 1))
done
log "$flaps flaps and $releases releases of the receive slave"
stop_bg "$spid"
sleep 1
stop_bg "$LISTEN_PID"

sent=$(awk '{ print $2 }' /tmp/rxloss.sent)
read -r got lost dups reord < <(awk -v m=${SRV_MAC,,} \
	'tolower($2) == m { f += $4; l += $6 - $5; d += $7; r += $5 }
	END { print f + 0, l + 0, d + 0, r + 0 }' /tmp/rxloss.out)
log "$got of $sent broadcasts, $lost lost, $dups duplicated, $reord out of order"
seconds=$(sed -n 's/^Duplicate broadcast\/multicast dropped at receive slave changes: //p' /proc/net/bonding/bond0)
log "second copies dropped by the bond: $seconds"
sockdrops=$(sed -n 's/.*socket drops //p' /tmp/rxloss.out.err)
backlog=$(($(softnet_drops) - backlog0))
outside=$((${sockdrops:-0} + backlog))
log "receiving socket dropped ${sockdrops:-?}, full input backlogs $backlog"
if [ "$dups" != 0 ] || [ "$lost" -gt "$outside" ]; then
	log "the first gaps and duplicates, and the changes (times: CLOCK_MONOTONIC, uptime):"
	grep 'gap\|duplicate' /tmp/rxloss.out.err
	cat /tmp/rxloss.acts
fi
check "the receive slave flapped and was released ($flaps, $releases)" \
	test "$flaps" -ge $((ROUNDS / 2)) -a "$releases" -ge $((ROUNDS / 2))
check_eq "no broadcast duplicated" "$dups" 0
# the frames the switch sent eth0 between its port stopping and eth0's
# carrier going off (veth: a grace period of dev_close(); real links: the
# NIC's link-down detection) are lost, and their twins on eth1 came while
# eth0 still received: one or two per link loss at this rate
check "no broadcast lost by the bond but at a link loss ($lost lost, $outside dropped outside it)" \
	test "$lost" -le $((outside + 2 * flaps))
end_test
