#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# balance-slb places buckets on at most 64 slaves: a 65th is refused at
# enslave time with a clear error, rather than half used (it would get
# buckets, but never be evacuated when released).  The first 64 work.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../slb.sh"

SYS=/sys/class/net/bond0/bonding
load_bonding
must ip link add bond0 type bond
SLB_LINKS+=(bond0)
must sh -c "echo balance-slb >$SYS/mode"
b=""
for i in $(seq 0 64); do
	b+="link add sl$i type dummy"$'\n'
	SLB_LINKS+=("sl$i")
done
ipb <<<"$b"
b=""
for i in $(seq 0 63); do b+="link set sl$i master bond0"$'\n'; done
ipb <<<"${b}link set bond0 up"
check_eq "64 slaves enslaved" "$(ls -d /sys/class/net/bond0/lower_* | wc -l)" 64
dmesg -c >/dev/null
out=$(ip link set sl64 master bond0 2>&1)
rc=$?
check "the 65th slave is refused (rc $rc)" test "$rc" -ne 0
check "with a clear error: $out" sh -c "echo '$out' | grep -q 'at most 64 slaves'"
check "and in the kernel log" sh -c "dmesg | grep -q '(slave sl64): balance-slb supports at most 64 slaves'"
check_eq "still 64 slaves" "$(ls -d /sys/class/net/bond0/lower_* | wc -l)" 64
check "a slave leaves and another joins" sh -c \
	"ip link set sl0 nomaster && ip link set sl64 master bond0"
check "the bond goes down and away" sh -c "ip link set bond0 down && ip link del bond0"
end_test
