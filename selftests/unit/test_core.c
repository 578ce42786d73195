// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of src/bond_slb_core.c. */
#include <string.h>
#include "bond_slb_core.h"
#include "unit.h"

static void test_key_packs_mac_and_vlan(void)
{
	const u8 mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	const u8 mac2[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

	EXPECT(slb_mac_vlan_key(mac, 0) == 0x020000000001ULL);
	EXPECT(slb_mac_vlan_key(mac, 10) == (0x020000000001ULL | (10ULL << 48)));
	/* priority bits of a TCI never leak into the key */
	EXPECT(slb_mac_vlan_key(mac, 0xf00a) == slb_mac_vlan_key(mac, 10));
	EXPECT(slb_mac_vlan_key(mac, 0) != slb_mac_vlan_key(mac2, 0));
	EXPECT(slb_mac_vlan_key(mac, 1) != slb_mac_vlan_key(mac, 2));
}

int main(void)
{
	printf("TAP version 13\n");
	RUN(test_key_packs_mac_and_vlan);
	return unit_done();
}
