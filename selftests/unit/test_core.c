// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of src/bond_slb_core.c, the placement and rebalancing rules. */
#include <string.h>
#include "bond_slb_core.h"
#include "unit.h"

static struct slb_core c;
static struct slb_move mv[SLB_BUCKETS];

static void setup(unsigned int nslaves, u32 speed)
{
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.nslaves = nslaves;
	c.cooldown_ms = 30000;
	for (i = 0; i < nslaves; i++) {
		c.slave[i].speed_mbps = speed;
		c.slave[i].usable = true;
	}
	for (i = 0; i < SLB_BUCKETS; i++)
		c.bucket[i].slave = SLB_NO_SLAVE;
}

static void put(unsigned int b, u16 slave, u64 load)
{
	c.bucket[b].slave = slave;
	c.bucket[b].load = load;
}

static u64 util_of(u16 s)
{
	u64 load[SLB_MAX_SLAVES];

	slb_slave_loads(&c, load);
	return slb_util(load[s], c.slave[s].speed_mbps);
}

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

static void test_least_utilised_uses_speed(void)
{
	u64 load[SLB_MAX_SLAVES];

	setup(2, 1000);
	c.slave[1].speed_mbps = 10000;
	put(1, 0, 1000000);
	put(2, 1, 5000000);	/* more bytes, but on a 10x faster link */
	slb_slave_loads(&c, load);
	EXPECT(slb_least_utilised(&c, load, NULL) == 1);
	c.slave[1].usable = false;
	EXPECT(slb_least_utilised(&c, load, NULL) == 0);
	c.slave[0].usable = false;
	EXPECT(slb_least_utilised(&c, load, NULL) == SLB_NO_SLAVE);
}

static void test_least_utilised_ties_by_bucket_count(void)
{
	u64 load[SLB_MAX_SLAVES];

	setup(3, 1000);
	put(1, 0, 0);
	put(2, 0, 0);
	put(3, 1, 0);
	slb_slave_loads(&c, load);
	EXPECT(slb_least_utilised(&c, load, NULL) == 2);
	c.slave[2].speed_mbps = 0;	/* unknown speed counts as 1 Gb/s */
	EXPECT(slb_least_utilised(&c, load, NULL) == 2);
}

static void test_place_spreads_idle_and_avoids_busy(void)
{
	u64 load[SLB_MAX_SLAVES];
	unsigned int n[SLB_MAX_SLAVES] = { 0 };
	int i;

	/* idle links (loads under the floor): new buckets alternate */
	setup(2, 1000);
	load[0] = SLB_MIN_REBALANCE_LOAD / 2;
	load[1] = 0;
	for (i = 0; i < 64; i++)
		n[slb_least_utilised(&c, load, n)]++;
	EXPECT(n[0] == 32 && n[1] == 32);
	/* a busy link gets none, even with fewer buckets */
	load[0] = 50 * SLB_MIN_REBALANCE_LOAD;
	load[1] = 2 * SLB_MIN_REBALANCE_LOAD;
	n[0] = 0;
	n[1] = 10;
	for (i = 0; i < 8; i++)
		n[slb_least_utilised(&c, load, n)]++;
	EXPECT(n[0] == 0 && n[1] == 18);
	/* within 1/8: about equal, bucket count decides */
	load[0] = 10 * SLB_MIN_REBALANCE_LOAD;
	load[1] = 11 * SLB_MIN_REBALANCE_LOAD;
	n[0] = 5;
	n[1] = 1;
	EXPECT(slb_least_utilised(&c, load, n) == 1);
}

static void test_place_idle_by_link_speed(void)
{
	u64 load[SLB_MAX_SLAVES] = { 0 };
	unsigned int n[SLB_MAX_SLAVES] = { 0 };
	int i;

	/* idle 10 Gb/s and 1 Gb/s links: ten buckets to one */
	setup(2, 10000);
	c.slave[1].speed_mbps = 1000;
	for (i = 0; i < 10; i++)
		n[slb_least_utilised(&c, load, n)]++;
	EXPECT(n[0] == 10 && n[1] == 0);
	for (i = 0; i < 12; i++)
		n[slb_least_utilised(&c, load, n)]++;
	EXPECT(n[0] == 20 && n[1] == 2);
	/* the rule itself, as the transmit path calls it: with the new one */
	EXPECT(!slb_place_better(0, 0, 1000, 0, 9, 10000));
	EXPECT(slb_place_better(0, 0, 1000, 0, 10, 10000));
	EXPECT(!slb_place_better(0, 0, 0, 0, 9, 10000));	/* unknown: 1G */
	/* equal speeds: fewer buckets wins, a tie keeps the first */
	EXPECT(slb_place_better(0, 3, 1000, 0, 4, 1000));
	EXPECT(!slb_place_better(0, 4, 1000, 0, 4, 1000));
	/* load still comes first: a busy fast link loses to an idle slow one */
	EXPECT(slb_place_better(0, 5, 1000, slb_place_util(100000000, 10000),
				0, 10000));
}

static void test_rebalance_moves_to_idle_slave(void)
{
	int n;

	setup(2, 1000);
	put(10, 0, 1000000);
	put(11, 0, 1000000);
	n = slb_rebalance(&c, 100000, mv, SLB_MAX_MOVES_PER_RUN);
	EXPECT(n == 1);
	EXPECT(mv[0].from == 0 && mv[0].to == 1);
	EXPECT(util_of(0) == util_of(1));
	/* balanced now: a second run does nothing */
	EXPECT(slb_rebalance(&c, 200000, mv, SLB_MAX_MOVES_PER_RUN) == 0);
}

static void test_rebalance_ignores_small_imbalance(void)
{
	setup(2, 1000);
	put(1, 0, 1000000);
	put(2, 1, 950000);	/* 5 % apart: under the threshold */
	put(3, 0, 20000);
	EXPECT(slb_rebalance(&c, 100000, mv, SLB_MAX_MOVES_PER_RUN) == 0);
	setup(2, 1000);
	put(1, 0, SLB_MIN_REBALANCE_LOAD / 4);	/* nearly idle bond */
	put(2, 0, SLB_MIN_REBALANCE_LOAD / 4);
	EXPECT(slb_rebalance(&c, 100000, mv, SLB_MAX_MOVES_PER_RUN) == 0);
}

static void test_rebalance_single_elephant_stays(void)
{
	/* moving the only bucket would just swap the hot slave */
	setup(2, 1000);
	put(5, 0, 5000000);
	EXPECT(slb_rebalance(&c, 100000, mv, SLB_MAX_MOVES_PER_RUN) == 0);
}

static void test_rebalance_bounded_and_cooldown(void)
{
	unsigned int b;
	int n;

	setup(2, 1000);
	for (b = 0; b < 100; b++)
		put(b, 0, 100000);
	n = slb_rebalance(&c, 100000, mv, 3);
	EXPECT(n == 3);
	/* moved buckets stay put during the cooldown, even if it helps */
	for (b = 0; b < 100; b++)
		if (c.bucket[b].slave == 1)
			c.bucket[b].load = 0;
	n = slb_rebalance(&c, 100000 + c.cooldown_ms - 1, mv, SLB_BUCKETS);
	for (int i = 0; i < n; i++)
		EXPECT(c.bucket[mv[i].bucket].last_move_ms == 100000 + c.cooldown_ms - 1);
	for (int i = 0; i < n; i++)
		EXPECT(mv[i].from == 0);
}

static void test_rebalance_mixed_speeds_by_utilisation(void)
{
	unsigned int b;
	u64 u0, u1;

	setup(2, 1000);
	c.slave[1].speed_mbps = 10000;
	for (b = 0; b < 40; b++)
		put(b, 0, 100000);
	slb_rebalance(&c, 100000, mv, SLB_BUCKETS);
	u0 = util_of(0);
	u1 = util_of(1);
	/* the 10x link takes ~10/11 of the load */
	EXPECT(u0 <= u1 + u1 / 5 + slb_util(100000, 1000));
	EXPECT(c.bucket[0].slave == 1 || c.bucket[39].slave == 1);
	{
		u64 load[SLB_MAX_SLAVES];

		slb_slave_loads(&c, load);
		EXPECT(load[1] >= 8 * load[0]);
	}
}

static void test_rebalance_no_ping_pong(void)
{
	unsigned int b, round;
	int moved[SLB_BUCKETS] = { 0 };
	u64 now = 100000;

	setup(2, 1000);
	c.cooldown_ms = 0;	/* even without a cooldown */
	for (b = 0; b < 16; b++)
		put(b, 0, 100000 + b * 1000);
	for (round = 0; round < 20; round++, now += 10000) {
		int i, n = slb_rebalance(&c, now, mv, SLB_MAX_MOVES_PER_RUN);

		for (i = 0; i < n; i++)
			moved[mv[i].bucket]++;
	}
	for (b = 0; b < 16; b++)
		EXPECT(moved[b] <= 1);
}

static void test_evacuate_moves_only_failed(void)
{
	unsigned int b;
	int n;

	setup(3, 1000);
	for (b = 0; b < 30; b++)
		put(b, b % 3, 1000 * (b + 1));
	c.slave[1].usable = false;
	n = slb_evacuate(&c, 1, 5000, mv, SLB_BUCKETS);
	EXPECT(n == 10);
	for (b = 0; b < 30; b++) {
		if (b % 3 == 1)
			EXPECT(c.bucket[b].slave == 0 || c.bucket[b].slave == 2);
		else
			EXPECT(c.bucket[b].slave == b % 3);
	}
	/* the survivors end up close: each took the heaviest where lightest */
	EXPECT(util_of(0) * 10 >= util_of(2) * 8 && util_of(2) * 10 >= util_of(0) * 8);
	/* nobody left: buckets stay where they are */
	setup(1, 1000);
	put(1, 0, 10);
	c.slave[0].usable = false;
	EXPECT(slb_evacuate(&c, 0, 1, mv, SLB_BUCKETS) == 0);
}

static void test_ewma(void)
{
	u64 v = 0;
	int i;

	for (i = 0; i < 40; i++)
		v = slb_ewma(v, 1000000);
	EXPECT(v == 1000000);
	for (i = 0; i < 40; i++)
		v = slb_ewma(v, 0);
	EXPECT(v == 0);
}

int main(void)
{
	printf("TAP version 13\n");
	RUN(test_key_packs_mac_and_vlan);
	RUN(test_least_utilised_uses_speed);
	RUN(test_least_utilised_ties_by_bucket_count);
	RUN(test_place_spreads_idle_and_avoids_busy);
	RUN(test_place_idle_by_link_speed);
	RUN(test_rebalance_moves_to_idle_slave);
	RUN(test_rebalance_ignores_small_imbalance);
	RUN(test_rebalance_single_elephant_stays);
	RUN(test_rebalance_bounded_and_cooldown);
	RUN(test_rebalance_mixed_speeds_by_utilisation);
	RUN(test_rebalance_no_ping_pong);
	RUN(test_evacuate_moves_only_failed);
	RUN(test_ewma);
	return unit_done();
}
