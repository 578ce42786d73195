// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of src/oot/bond_slb_parse.c: what slb_migrate accepts. */
#include <string.h>
#include "bond_slb_parse.h"
#include "unit.h"

static u8 mac[6];
static u16 vid;
static char name[SLB_NAME_MAX + 1];

static int parse(const char *s)
{
	return slb_parse_migrate(s, strlen(s), mac, &vid, name);
}

static void test_mac_and_slave(void)
{
	static const u8 want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	EXPECT(parse("52:54:00:AB:cd:ef eth1\n") == 0);
	EXPECT(!memcmp(mac, want, 6));
	EXPECT(vid == 0);
	EXPECT(!strcmp(name, "eth1"));
}

static void test_vlan_form(void)
{
	EXPECT(parse("  02:00:00:00:00:01\t10 enp1s0f1 ") == 0);
	EXPECT(vid == 10 && !strcmp(name, "enp1s0f1"));
	EXPECT(parse("02:00:00:00:00:01 0 eth0") == 0 && vid == 0);
	EXPECT(parse("02:00:00:00:00:01 4094 eth0") == 0 && vid == 4094);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"", "\n", "02:00:00:00:00:01", "02:00:00:00:00:01\n",
		"eth0 02:00:00:00:00:01", "02:00:00:00:00:01 eth0 extra",
		"02:00:00:00:00:01 10 eth0 extra", "02:00:00:00:00:0 eth0",
		"02:00:00:00:00:011 eth0", "02-00-00-00-00-01 eth0",
		"zz:00:00:00:00:01 eth0", "02:00:00:00:00:01 4095 eth0",
		"02:00:00:00:00:01 -1 eth0", "02:00:00:00:00:01 +1 eth0",
		"02:00:00:00:00:01 10000 eth0", "02:00:00:00:00:01 0x10 eth0",
		"02:00:00:00:00:01 a23456789012345b",	/* 16 bytes */
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i]) != -1)
			printf("# accepted \"%s\"\n", bad[i]);
		EXPECT(parse(bad[i]) == -1);
	}
}

static void test_longest_name_and_len_bound(void)
{
	EXPECT(parse("02:00:00:00:00:01 a2345678901234b") == 0);
	EXPECT(strlen(name) == SLB_NAME_MAX);
	/* only len bytes count, and a NUL ends the input */
	EXPECT(slb_parse_migrate("02:00:00:00:00:01 eth0XYZ", 22, mac, &vid,
				 name) == 0 && !strcmp(name, "eth0"));
	EXPECT(slb_parse_migrate("02:00:00:00:00:01 eth0\0 9", 26, mac, &vid,
				 name) == 0 && !strcmp(name, "eth0"));
}

int main(void)
{
	printf("TAP version 13\n");
	RUN(test_mac_and_slave);
	RUN(test_vlan_form);
	RUN(test_refused);
	RUN(test_longest_name_and_len_bound);
	return unit_done();
}
