/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * balance-slb pure algorithms: no kernel dependencies, so the same source
 * is built into bonding.ko and into the userspace unit tests.
 *
 * Loads are bytes per second; a slave's utilisation is its load divided by
 * its speed.  Times are milliseconds on any monotonic clock.
 */
#ifndef _BOND_SLB_CORE_H
#define _BOND_SLB_CORE_H

/* in userspace, selftests/unit/shim/linux/types.h stands in */
#include <linux/types.h>

#define SLB_BUCKETS		256
#define SLB_MAX_SLAVES		64
#define SLB_NO_SLAVE		0xffff

/* A slave whose speed the driver cannot tell counts as 1 Gb/s. */
#define SLB_DEFAULT_SPEED_MBPS	1000

/*
 * Rebalancing: the rules are told once, at the top of bond_slb_core.c
 * (Documentation/networking/balance-slb.rst has them with the reasons);
 * the constants they use:
 */
#define SLB_MIN_REBALANCE_LOAD	125000	/* bytes/s (1 Mbit/s) worth a run */
#define SLB_IMBALANCE_PCT	5	/* the level: % above the bound */
#define SLB_MIN_GAIN_PCT	1	/* a plan's least gain, % of the bound */
#define SLB_MIN_STEP_PERMILLE	1	/* a move's least gain, of the bound */
#define SLB_NOISE_SIGMAS_X10	25	/* noise margin, tenths of a sigma */
#define SLB_MAX_MOVES_PER_RUN	8
#define SLB_FINE_PCT		1	/* the level once an excess lasted */
#define SLB_EVIDENCE_RUNS	3	/* runs in a row before it can last */
#define SLB_EVIDENCE_MAX_RUNS	16	/* the runs its mean is taken over */
#define SLB_EVIDENCE_MARGINS	2	/* that mean's excess, in its margins */

/* averages: their span, % of the interval (slb_avg_span()) */
#define SLB_AVG_SPAN_PCT	120
#define SLB_AVG_DEFAULT_INTERVAL_MS	10000	/* for interval 0 (never) */
#define SLB_AVG_MAX_SPAN_MS	86400000U
#define SLB_GONE_MS		3000	/* silent this long: the bucket left */
#define SLB_EVENT_DELAY_MS	3000	/* a newcomer measured, then a run */

struct slb_core_slave {
	u32 speed_mbps;		/* 0 = unknown */
	bool usable;
	/*
	 * Load on the slave that no bucket move takes away, bytes/s: the
	 * multicast reports steered to the receive slave.  Counted in its
	 * utilisation like any bucket's.
	 */
	u64 fixed;
};

struct slb_core_bucket {
	u64 load;		/* bytes/s, slb_avg() */
	/*
	 * Its noise: the mean absolute deviation of the per-sample rates
	 * from 'load', bytes/s (slb_avg_dev(), kept by slb_avg_sample()
	 * across runs).
	 */
	u64 noise;
	u64 last_move_ms;	/* when it last changed slave */
	u32 silent_ms;		/* since its last byte (slb_avg_sample()) */
	u32 age_ms;		/* of its average, up to the span */
	u16 slave;		/* index into slaves, SLB_NO_SLAVE if none */
	bool moved_ever;
};

/*
 * Scratch of one slb_rebalance() run while it plans, not state: kept here
 * rather than on the stack (over 1 KiB with SLB_MAX_SLAVES slaves).
 */
struct slb_run {
	u64 load[SLB_MAX_SLAVES];
	u64 var[SLB_MAX_SLAVES];	/* sum of squared deviations, util^2 */
	u64 moved[SLB_BUCKETS / 64];	/* buckets planned to move */
	u64 gave, took;			/* slaves, as bits */
	u8 mine[SLB_BUCKETS];		/* the giver's buckets, for a swap */
	u64 step, noise;
	u64 now_ms;
};

struct slb_core {
	struct slb_core_bucket bucket[SLB_BUCKETS];
	struct slb_core_slave slave[SLB_MAX_SLAVES];
	unsigned int nslaves;
	u64 cooldown_ms;	/* a moved bucket stays put this long */
	u32 interval_ms;	/* rebalance interval, 0 = never (a default) */
	struct slb_run run;
	/*
	 * The last run stopped at its move cap with the busiest slave still
	 * over the level: the next one carries on without the noise margin.
	 */
	bool resume;
	/*
	 * Runs in a row that found the same slave busiest, which slave, and
	 * the sum of its excess over the fine level (slb_excess_lasts()).
	 */
	u8 evidence;
	u16 evidence_slave;
	s64 evidence_sum;
	/*
	 * The heaviest bucket that came or went since the last run (0: none)
	 * and how long ago the first of them did: slb_event_due().
	 */
	u64 event_load;
	u32 event_wait_ms;
};

struct slb_move {
	u16 bucket;
	u16 from;
	u16 to;
};

/*
 * 48-bit MAC in the low bits, 12-bit VLAN ID above it: one u64 to hash.
 * Inline: it runs for every transmitted frame.
 */
static inline u64 slb_mac_vlan_key(const u8 *mac, u16 vid)
{
	/* a 16- and a 32-bit half: compilers load each with one byte swap */
	u32 hi = (u32)mac[0] << 8 | mac[1];
	u32 lo = (u32)mac[2] << 24 | (u32)mac[3] << 16 | (u32)mac[4] << 8 |
		 mac[5];

	return (u64)(vid & 0xfff) << 48 | (u64)hi << 32 | lo;
}

/*
 * Bucket (low 8 bits) and MAC table slot (the bits above) of a key, with a
 * per-bond random seed so that a guest cannot aim its MACs at one bucket.
 * The MurmurHash3 64-bit finaliser: every key bit reaches every output
 * bit, in a dozen instructions per frame (jhash took three times that).
 */
static inline u64 slb_key_hash(u64 key, u64 seed)
{
	u64 x = key ^ seed;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Utilisation of a load on a link, in bytes/s per Mb/s of link speed. */
u64 slb_util(u64 load, u32 speed_mbps);

/* Per-slave loads summed over the buckets. */
void slb_slave_loads(const struct slb_core *c, u64 *load);

/*
 * Placement of new buckets.  A slave's placement utilisation is 0 while it
 * carries less than SLB_MIN_REBALANCE_LOAD; utilisations within 1/8 of each
 * other count as equal and the slave with fewer buckets per link speed
 * wins (counting the new one), so new MACs spread in proportion to link
 * speed while links are idle or evenly loaded, and avoid a busy link.
 */
u64 slb_place_util(u64 load, u32 speed_mbps);
bool slb_place_better(u64 util, unsigned int nbuckets, u32 speed_mbps,
		      u64 best_util, unsigned int best_nbuckets,
		      u32 best_speed_mbps);

/*
 * The usable slave to place a new bucket on (see above; ties: lowest
 * index), or SLB_NO_SLAVE.  nbuckets may be NULL.
 */
u16 slb_least_utilised(const struct slb_core *c, const u64 *load,
		       const unsigned int *nbuckets);

/*
 * Plan and carry out at most min(max_moves, SLB_MAX_MOVES_PER_RUN) bucket
 * moves that lower the highest utilisation (see above); applies them to c
 * (slave, last_move_ms) and returns how many, listed in moves.
 */
int slb_rebalance(struct slb_core *c, u64 now_ms, struct slb_move *moves,
		  int max_moves);

/*
 * Move every bucket held by slave 'failed' (now unusable), heaviest first,
 * each to the usable slave it leaves least utilised (idle buckets: as
 * placement would).  Returns the number of moves, or 0 when no slave is
 * usable (the buckets are then left unassigned).
 */
int slb_evacuate(struct slb_core *c, u16 failed, u64 now_ms,
		 struct slb_move *moves, int max_moves);

/*
 * Load averaging for decisions.  Every sample (rate over elapsed_ms) moves
 * the average elapsed/span of the way towards it, rounded towards it; an
 * average of 0 (a new or long idle bucket) takes the first sample as is.
 * slb_avg_dev() keeps the mean absolute deviation of the samples from the
 * average; call it with the average before slb_avg() updates it.
 * slb_avg_span() is the span for a rebalance interval (0: the default).
 */
u64 slb_avg(u64 old, u64 sample, u32 elapsed_ms, u32 span_ms);
/*
 * One sample of a bucket: its noise (bk->noise) and silence (bk->silent_ms)
 * kept up to date, the new average returned.  A bucket silent for
 * SLB_GONE_MS has left (its VMs went away, stopped or moved): its average
 * and noise drop to 0 at once instead of fading over the span, so that
 * the next run sees the load that is really there.
 */
u64 slb_avg_sample(struct slb_core_bucket *bk, u64 avg, u64 sample,
		   u32 elapsed_ms, u32 span_ms);
u64 slb_avg_dev(u64 dev, u64 avg, u64 sample, u32 elapsed_ms, u32 span_ms);
u32 slb_avg_span(u32 interval_ms);

/*
 * slb_avg_sample() of bucket b that also notes its coming or going for
 * slb_event_due().
 */
u64 slb_sample_bucket(struct slb_core *c, unsigned int b, u64 avg,
		      u64 sample, u32 elapsed_ms, u32 span_ms);
/*
 * After a sample of every bucket (elapsed_ms since the last, total_load
 * the bond's averaged load): whether a run is due now for a bucket that
 * came or went (SLB_EVENT_DELAY_MS).  One too small to matter is
 * forgotten; slb_rebalance() forgets the rest.
 */
bool slb_event_due(struct slb_core *c, u32 elapsed_ms, u64 total_load);

#endif /* _BOND_SLB_CORE_H */
