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

static u32 slb_speed(u32 speed_mbps)
{
	return speed_mbps ? speed_mbps : SLB_DEFAULT_SPEED_MBPS;
}

u64 slb_util(u64 load, u32 speed_mbps)
{
	/* scaled so that slow links and small loads keep precision */
	return load * 1024 / slb_speed(speed_mbps);
}

u64 slb_ewma(u64 old, u64 sample)
{
	if (sample >= old)
		return old + (sample - old + 1) / 2;
	return old - (old - sample + 1) / 2;
}

void slb_slave_loads(const struct slb_core *c, u64 *load)
{
	unsigned int i;

	for (i = 0; i < c->nslaves; i++)
		load[i] = 0;
	for (i = 0; i < SLB_BUCKETS; i++) {
		u16 s = c->bucket[i].slave;

		if (s < c->nslaves)
			load[s] += c->bucket[i].load;
	}
}

static void slb_bucket_counts(const struct slb_core *c, unsigned int *n)
{
	unsigned int i;

	for (i = 0; i < c->nslaves; i++)
		n[i] = 0;
	for (i = 0; i < SLB_BUCKETS; i++)
		if (c->bucket[i].slave < c->nslaves)
			n[c->bucket[i].slave]++;
}

u64 slb_place_util(u64 load, u32 speed_mbps)
{
	return load < SLB_MIN_REBALANCE_LOAD ? 0 : slb_util(load, speed_mbps);
}

bool slb_place_better(u64 util, unsigned int nbuckets, u32 speed_mbps,
		      u64 best_util, unsigned int best_nbuckets,
		      u32 best_speed_mbps)
{
	u64 hi = util > best_util ? util : best_util;

	if (util + hi / 8 < best_util)
		return true;
	if (best_util + hi / 8 < util)
		return false;
	/*
	 * About as busy (or both idle): spread by buckets per link speed,
	 * counting the new one, so a 10 Gb/s link takes ten buckets for
	 * each one a 1 Gb/s link takes (and the first ones).
	 */
	return (u64)(nbuckets + 1) * slb_speed(best_speed_mbps) <
	       (u64)(best_nbuckets + 1) * slb_speed(speed_mbps);
}

u16 slb_least_utilised(const struct slb_core *c, const u64 *load,
		       const unsigned int *nbuckets)
{
	unsigned int counts[SLB_MAX_SLAVES];
	u16 best = SLB_NO_SLAVE;
	u64 best_util = 0;
	unsigned int i;

	if (!nbuckets) {
		slb_bucket_counts(c, counts);
		nbuckets = counts;
	}
	for (i = 0; i < c->nslaves; i++) {
		u64 u;

		if (!c->slave[i].usable)
			continue;
		u = slb_place_util(load[i], c->slave[i].speed_mbps);
		if (best == SLB_NO_SLAVE ||
		    slb_place_better(u, nbuckets[i], c->slave[i].speed_mbps,
				     best_util, nbuckets[best],
				     c->slave[best].speed_mbps)) {
			best = i;
			best_util = u;
		}
	}
	return best;
}

static void slb_assign(struct slb_core *c, unsigned int b, u16 to, u64 now_ms,
		       struct slb_move *moves, int *n)
{
	moves[*n].bucket = b;
	moves[*n].from = c->bucket[b].slave;
	moves[*n].to = to;
	(*n)++;
	c->bucket[b].slave = to;
	c->bucket[b].last_move_ms = now_ms;
	c->bucket[b].moved_ever = true;
}

static bool slb_cooling(const struct slb_core *c, unsigned int b, u64 now_ms)
{
	const struct slb_core_bucket *bk = &c->bucket[b];

	return bk->moved_ever && now_ms - bk->last_move_ms < c->cooldown_ms;
}

/* Busiest and least busy usable slaves; false if fewer than two. */
static bool slb_extremes(const struct slb_core *c, const u64 *load,
			 u16 *hi, u16 *lo)
{
	u64 uhi = 0, ulo = 0;
	unsigned int i;

	*hi = SLB_NO_SLAVE;
	*lo = SLB_NO_SLAVE;
	for (i = 0; i < c->nslaves; i++) {
		u64 u;

		if (!c->slave[i].usable)
			continue;
		u = slb_util(load[i], c->slave[i].speed_mbps);
		if (*hi == SLB_NO_SLAVE || u > uhi) {
			*hi = i;
			uhi = u;
		}
		if (*lo == SLB_NO_SLAVE || u < ulo) {
			*lo = i;
			ulo = u;
		}
	}
	return *hi != SLB_NO_SLAVE && *lo != SLB_NO_SLAVE && *hi != *lo;
}

int slb_rebalance(struct slb_core *c, u64 now_ms, struct slb_move *moves,
		  int max_moves)
{
	u64 moved_now[SLB_BUCKETS / 64] = { 0 };
	u64 load[SLB_MAX_SLAVES];
	int n = 0;

	slb_slave_loads(c, load);
	while (n < max_moves) {
		u64 uhi, ulo, best_max;
		int best = -1;
		unsigned int b;
		u16 hi, lo;

		if (!slb_extremes(c, load, &hi, &lo))
			break;
		if (load[hi] < SLB_MIN_REBALANCE_LOAD)
			break;
		uhi = slb_util(load[hi], c->slave[hi].speed_mbps);
		ulo = slb_util(load[lo], c->slave[lo].speed_mbps);
		if ((uhi - ulo) * 100 <= uhi * SLB_IMBALANCE_PCT)
			break;

		/* the bucket whose move leaves the pair's maximum lowest */
		best_max = uhi;
		for (b = 0; b < SLB_BUCKETS; b++) {
			const struct slb_core_bucket *bk = &c->bucket[b];
			u64 nhi, nlo, m;

			if (bk->slave != hi || !bk->load ||
			    (moved_now[b / 64] >> (b % 64)) & 1 ||
			    slb_cooling(c, b, now_ms))
				continue;
			nhi = slb_util(load[hi] - bk->load, c->slave[hi].speed_mbps);
			nlo = slb_util(load[lo] + bk->load, c->slave[lo].speed_mbps);
			m = nhi > nlo ? nhi : nlo;
			if (m < best_max ||
			    (m == best_max && best >= 0 &&
			     bk->load < c->bucket[best].load)) {
				best = b;
				best_max = m;
			}
		}
		if (best < 0 || (uhi - best_max) * 100 < uhi * SLB_MIN_GAIN_PCT)
			break;
		load[hi] -= c->bucket[best].load;
		load[lo] += c->bucket[best].load;
		moved_now[best / 64] |= 1ULL << (best % 64);
		slb_assign(c, best, lo, now_ms, moves, &n);
	}
	return n;
}

int slb_evacuate(struct slb_core *c, u16 failed, u64 now_ms,
		 struct slb_move *moves, int max_moves)
{
	u64 done[SLB_BUCKETS / 64] = { 0 };
	u64 load[SLB_MAX_SLAVES];
	int n = 0;

	slb_slave_loads(c, load);
	while (n < max_moves) {
		int heaviest = -1;
		unsigned int b;
		u16 to;

		for (b = 0; b < SLB_BUCKETS; b++) {
			if (c->bucket[b].slave != failed ||
			    (done[b / 64] >> (b % 64)) & 1)
				continue;
			if (heaviest < 0 ||
			    c->bucket[b].load > c->bucket[heaviest].load)
				heaviest = b;
		}
		if (heaviest < 0)
			break;
		done[heaviest / 64] |= 1ULL << (heaviest % 64);
		to = slb_least_utilised(c, load, NULL);
		if (to == SLB_NO_SLAVE)
			break;
		load[to] += c->bucket[heaviest].load;
		slb_assign(c, heaviest, to, now_ms, moves, &n);
	}
	return n;
}
