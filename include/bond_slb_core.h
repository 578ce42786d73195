/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * balance-slb pure algorithms: no kernel dependencies, so the same source
 * is built into bonding.ko and into the userspace unit tests.
 */
#ifndef _BOND_SLB_CORE_H
#define _BOND_SLB_CORE_H

/* in userspace, selftests/unit/shim/linux/types.h stands in */
#include <linux/types.h>

#define SLB_BUCKETS	256

/* 48-bit MAC in the low bits, 12-bit VLAN ID above it: one u64 to hash. */
u64 slb_mac_vlan_key(const u8 *mac, u16 vid);

#endif /* _BOND_SLB_CORE_H */
