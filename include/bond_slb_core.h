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
 * Rebalancing thresholds (see Documentation/networking/balance-slb.rst):
 * act only when the busiest slave carries at least SLB_MIN_REBALANCE_LOAD
 * bytes/s and its utilisation exceeds the least busy one's by more than
 * SLB_IMBALANCE_PCT percent of its own; take a move only when it lowers
 * the pair's maximum utilisation by at least SLB_MIN_GAIN_PCT percent.
 */
#define SLB_MIN_REBALANCE_LOAD	125000		/* 1 Mbit/s */
#define SLB_IMBALANCE_PCT	10
#define SLB_MIN_GAIN_PCT	1
#define SLB_MAX_MOVES_PER_RUN	8

struct slb_core_slave {
	u32 speed_mbps;		/* 0 = unknown */
	bool usable;
};

struct slb_core_bucket {
	u64 load;		/* bytes/s */
	u64 last_move_ms;	/* when it last changed slave */
	u16 slave;		/* index into slaves, SLB_NO_SLAVE if none */
	bool moved_ever;
};

struct slb_core {
	struct slb_core_bucket bucket[SLB_BUCKETS];
	struct slb_core_slave slave[SLB_MAX_SLAVES];
	unsigned int nslaves;
	u64 cooldown_ms;	/* a moved bucket stays put this long */
};

struct slb_move {
	u16 bucket;
	u16 from;
	u16 to;
};

/* 48-bit MAC in the low bits, 12-bit VLAN ID above it: one u64 to hash. */
u64 slb_mac_vlan_key(const u8 *mac, u16 vid);

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
 * Plan up to max_moves bucket moves that lower the maximum utilisation;
 * applies them to c (slave, last_move_ms) and returns how many, listed in
 * moves.
 */
int slb_rebalance(struct slb_core *c, u64 now_ms, struct slb_move *moves,
		  int max_moves);

/*
 * Move every bucket held by slave 'failed' (now unusable) to the least
 * utilised usable slave, heaviest first.  Returns the number of moves, or
 * 0 when no slave is usable (the buckets are then left unassigned).
 */
int slb_evacuate(struct slb_core *c, u16 failed, u64 now_ms,
		 struct slb_move *moves, int max_moves);

/* EWMA of a rate: halfway from old to sample, rounded towards sample. */
u64 slb_ewma(u64 old, u64 sample);

#endif /* _BOND_SLB_CORE_H */
