// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb as the kernel glue (src/bond_slb_move.c) drives the real core
 * (src/bond_slb_core.c, compiled into this binary):
 *
 * - a bucket's first frame places it with slb_least_utilised(): the
 *   per-slave rates of the last 1 s sample (slave->slb.util is only
 *   refreshed by the sample) and the live bucket counts (atomics in the
 *   kernel);
 * - once a second the bucket byte counters are sampled: each bucket's rate
 *   goes into slb_avg_dev() and slb_avg(), over slb_avg_span() of the
 *   rebalance interval; the core decides on those averages;
 * - slb_rebalance() runs every rebalance interval (10 s), and every second
 *   for SLB_FAILBACK_MS after a slave comes up, with at most
 *   SLB_MAX_MOVES_PER_RUN moves and a 60 s per-bucket cooldown;
 * - a slave going down is evacuated by slb_evacuate() at once; those forced
 *   moves do not start a cooldown (slb_apply(..., stamp = false)).
 *
 * Not modelled: the sub-second "move gap" (a planned move waits up to 2 s
 * for an idle moment), announcements and their rate limit.
 */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define SLB_SIM_INTERVAL_MS	10000	/* SLB_DEFAULT_INTERVAL_MS */
#define SLB_SIM_COOLDOWN_MS	60000	/* SLB_DEFAULT_COOLDOWN_MS */
#define SLB_SIM_FAILBACK_MS	10000	/* SLB_FAILBACK_MS */
#define SLB_SIM_SAMPLE_MS	1000	/* SLB_SAMPLE_MS */

struct slb_sim {
	const struct trace *tr;
	struct slb_core c;
	u64 placed_load[SLB_MAX_SLAVES];	/* rates of the last sample */
	u64 last_rebalance, failback_until;
	struct slb_move plan[SLB_BUCKETS];
};

static void *slb_sim_init(const struct trace *tr)
{
	struct slb_sim *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		abort();
	s->tr = tr;
	s->c.nslaves = tr->nslaves;
	s->c.cooldown_ms = SLB_SIM_COOLDOWN_MS;
	s->c.interval_ms = SLB_SIM_INTERVAL_MS;
	for (i = 0; i < tr->nslaves; i++) {
		s->c.slave[i].speed_mbps = tr->speed[i];
		s->c.slave[i].usable = true;
	}
	for (i = 0; i < SLB_BUCKETS; i++)
		s->c.bucket[i].slave = SLB_NO_SLAVE;
	/* bond_slb_open(): slaves already enslaved, no failback window */
	s->last_rebalance = 0;
	return s;
}

static void slb_sim_rebalance(struct slb_sim *s, u64 now)
{
	s->last_rebalance = now;
	slb_rebalance(&s->c, now, s->plan, SLB_MAX_MOVES_PER_RUN);
}

static bool slb_sim_link(void *st, unsigned int slave, bool up, unsigned int t)
{
	struct slb_core_bucket saved[SLB_BUCKETS];
	struct slb_sim *s = st;
	u64 now = (u64)t * 1000;
	int i, n;

	if (up) {
		s->c.slave[slave].usable = true;
		s->failback_until = now + SLB_SIM_FAILBACK_MS;
		/* mod_delayed_work(0): the work runs now, without a sample */
		slb_sim_rebalance(s, now);
		return true;
	}
	s->c.slave[slave].usable = false;
	memcpy(saved, s->c.bucket, sizeof(saved));
	n = slb_evacuate(&s->c, slave, now, s->plan, SLB_BUCKETS);
	/* failover moves are forced: no cooldown stamp */
	for (i = 0; i < n; i++) {
		u16 b = s->plan[i].bucket;

		s->c.bucket[b].last_move_ms = saved[b].last_move_ms;
		s->c.bucket[b].moved_ever = saved[b].moved_ever;
	}
	/* no survivor: nothing may point at the slave */
	for (i = 0; i < SLB_BUCKETS; i++)
		if (s->c.bucket[i].slave == slave)
			s->c.bucket[i].slave = SLB_NO_SLAVE;
	return false;
}

static void slb_sim_traffic(void *st, unsigned int t)
{
	struct slb_sim *s = st;
	bool need[SLB_BUCKETS];
	u16 order[SLB_BUCKETS];
	unsigned int i, n;

	for (i = 0; i < SLB_BUCKETS; i++) {
		u16 sl = s->c.bucket[i].slave;

		need[i] = sl == SLB_NO_SLAVE || !s->c.slave[sl].usable;
	}
	n = sim_arrivals(s->tr, t, need, order);
	for (i = 0; i < n; i++)
		s->c.bucket[order[i]].slave =
			slb_least_utilised(&s->c, s->placed_load, NULL);
}

static bool slb_sim_tick(void *st, unsigned int t)
{
	struct slb_sim *s = st;
	u64 now = (u64)(t + 1) * SLB_SIM_SAMPLE_MS;
	u32 span = slb_avg_span(SLB_SIM_INTERVAL_MS);
	u64 total = 0;
	unsigned int b;

	/* slb_sample(): exactly one second elapsed, so bytes == bytes/s */
	memset(s->placed_load, 0, sizeof(s->placed_load));
	for (b = 0; b < SLB_BUCKETS; b++) {
		struct slb_core_bucket *bk = &s->c.bucket[b];
		u64 rate = s->tr->bytes[TR_IDX(t, b)];

		bk->load = slb_sample_bucket(&s->c, b, bk->load, rate,
					     SLB_SIM_SAMPLE_MS, span);
		total += bk->load;
		if (bk->slave < s->c.nslaves)
			s->placed_load[bk->slave] += rate;
	}
	if (slb_event_due(&s->c, SLB_SIM_SAMPLE_MS, total) ||
	    now >= s->last_rebalance + SLB_SIM_INTERVAL_MS ||
	    now < s->failback_until) {
		slb_sim_rebalance(s, now);
		return true;
	}
	return false;
}

static u16 slb_sim_slave_of(void *st, unsigned int b)
{
	struct slb_sim *s = st;

	return s->c.bucket[b].slave;
}

const struct algo algo_slb = {
	.name = "balance-slb",
	.label = "balance-slb: the real src/bond_slb_core.c, driven as src/bond_slb_move.c does",
	.init = slb_sim_init,
	.link = slb_sim_link,
	.traffic = slb_sim_traffic,
	.tick = slb_sim_tick,
	.slave_of = slb_sim_slave_of,
	.fini = free,
};
