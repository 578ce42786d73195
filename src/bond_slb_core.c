// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb pure algorithms, shared by bonding.ko and the unit tests.
 */
#include "bond_slb_core.h"

u64 slb_mac_vlan_key(const u8 *mac, u16 vid)
{
	u64 key = 0;
	int i;

	for (i = 0; i < 6; i++)
		key = (key << 8) | mac[i];
	return key | ((u64)(vid & 0xfff) << 48);
}
