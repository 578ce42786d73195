// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb pure algorithms, shared by bonding.ko, the unit tests and the
 * simulator (tools/bench).
 *
 * Rebalancing (Documentation/networking/balance-slb.rst has it with the
 * reasons; the constants are in bond_slb_core.h).
 *
 * Loads.  Each bucket's rate is sampled every second and averaged over a
 * span of 1.2 rebalance intervals, with its mean deviation (its noise): a
 * decision on one second would chase burstiness.  A young average is the
 * plain mean of its samples until it is a span old; a bucket silent for
 * SLB_GONE_MS has left and its average drops to 0 at once.  A slave's
 * utilisation is its load over its speed.  The bound is what no placement
 * can beat: total load over total speed, or the heaviest bucket on the
 * fastest slave.  The level is SLB_IMBALANCE_PCT above the bound.
 *
 * When.  Every interval; and soon after a bucket carrying at least
 * SLB_IMBALANCE_PCT of the bond's load came (SLB_EVENT_DELAY_MS after its
 * first sample) or went (once known gone), since one such bucket can put
 * a slave over the level by itself.  Smaller ones wait for the interval.
 *
 * A run:
 * - acts when the busiest slave carries SLB_MIN_REBALANCE_LOAD and is over
 *   the level by more than the noise of its measured load, or over it at
 *   all right after a run the move cap cut short; or, with the level at
 *   SLB_FINE_PCT above the bound, when the same slave's excess over that,
 *   averaged over the runs in a row that found it busiest, clears that
 *   average's noise (slb_excess_lasts(): an excess that lasts is the
 *   placement; one that changes slave is traffic);
 * - plans moves one bucket at a time, each to the slave that leaves the
 *   pair most even: off the busiest while it is over the level, then off
 *   each slave that began the run over the level until it is below by its
 *   noise margin, so that noise cannot take it back over (hysteresis).
 *   Each move lowers the giver by SLB_MIN_STEP_PERMILLE of the bound and
 *   leaves the receiver below where the giver was.  Slaves that began
 *   under the level are left alone; no slave both gives and takes; at most
 *   SLB_MAX_MOVES_PER_RUN moves; when no single bucket can go, a swap with
 *   a slave untouched so far (both moves or none);
 * - carries out the shortest part of the plan that gets as far as all of
 *   it, if it clears the overload (utilisation above the level, summed
 *   over the slaves) or lowers it by SLB_MIN_GAIN_PCT of the bound.
 *
 * A run is O(moves * slaves * buckets) in integer arithmetic, the square
 * root only for a candidate that beats the best so far: about 40 us for
 * 256 buckets on 8 slaves and 0.3 ms on 64 in userspace.  Its scratch
 * lives in struct slb_core, not on the stack.
 */
#include <linux/math64.h>

#include "bond_slb_core.h"

static u32 slb_speed_or_default(u32 speed_mbps)
{
	return speed_mbps ? speed_mbps : SLB_DEFAULT_SPEED_MBPS;
}

u64 slb_util(u64 load, u32 speed_mbps)
{
	/* scaled so that slow links and small loads keep precision */
	return div_u64(load * 1024, slb_speed_or_default(speed_mbps));
}

/* ------------------------------------------------------------ averages */

u32 slb_avg_span(u32 interval_ms)
{
	if (!interval_ms)
		interval_ms = SLB_AVG_DEFAULT_INTERVAL_MS;
	if (interval_ms > SLB_AVG_MAX_SPAN_MS / SLB_AVG_SPAN_PCT * 100)
		return SLB_AVG_MAX_SPAN_MS;
	/* wide: 120 % of intervals past 35,791,394 ms overflow 32 bits */
	return div_u64((u64)interval_ms * SLB_AVG_SPAN_PCT, 100);
}

/* elapsed/span of the way from old to sample, rounded towards sample */
static u64 slb_towards(u64 old, u64 sample, u32 elapsed_ms, u32 span_ms)
{
	if (elapsed_ms >= span_ms)
		return sample;
	if (sample >= old)
		return old + div_u64((sample - old) * elapsed_ms + span_ms - 1,
				     span_ms);
	return old - div_u64((old - sample) * elapsed_ms + span_ms - 1, span_ms);
}

u64 slb_avg(u64 old, u64 sample, u32 elapsed_ms, u32 span_ms)
{
	return old ? slb_towards(old, sample, elapsed_ms, span_ms) : sample;
}

u64 slb_avg_dev(u64 dev, u64 avg, u64 sample, u32 elapsed_ms, u32 span_ms)
{
	/* the first sample sets the average: nothing to deviate from */
	if (!avg)
		return dev;
	return slb_towards(dev, sample > avg ? sample - avg : avg - sample,
			   elapsed_ms, span_ms);
}

u64 slb_avg_sample(struct slb_core_bucket *bk, u64 avg, u64 sample,
		   u32 elapsed_ms, u32 span_ms)
{
	/*
	 * A young average is the plain mean of the samples so far (the span
	 * grows with its age), not its first sample's weight of a whole span:
	 * a run a few seconds after a bucket came sees its load, not noise.
	 */
	if (!avg)
		bk->age_ms = 0;
	if (bk->age_ms < span_ms) {
		bk->age_ms = span_ms - bk->age_ms > elapsed_ms ?
			     bk->age_ms + elapsed_ms : span_ms;
		span_ms = bk->age_ms;
	}
	if (sample) {
		bk->silent_ms = 0;
	} else if (bk->silent_ms < SLB_GONE_MS) {
		bk->silent_ms += elapsed_ms;
		if (bk->silent_ms >= SLB_GONE_MS) {
			bk->noise = 0;
			return 0;
		}
	} else {
		return 0;
	}
	bk->noise = slb_avg_dev(bk->noise, avg, sample, elapsed_ms, span_ms);
	return slb_avg(avg, sample, elapsed_ms, span_ms);
}

u64 slb_sample_bucket(struct slb_core *c, unsigned int b, u64 avg,
		      u64 sample, u32 elapsed_ms, u32 span_ms)
{
	u64 now = slb_avg_sample(&c->bucket[b], avg, sample, elapsed_ms,
				 span_ms);

	if (!avg && now) {
		/* came: its load is measured over the delay */
		if (!c->event_load)
			c->event_wait_ms = 0;
		if (now > c->event_load)
			c->event_load = now;
	} else if (avg && !now) {
		/* went: its silence (SLB_GONE_MS) was the wait */
		c->event_wait_ms = SLB_EVENT_DELAY_MS;
		if (avg > c->event_load)
			c->event_load = avg;
	}
	return now;
}

bool slb_event_due(struct slb_core *c, u32 elapsed_ms, u64 total_load)
{
	if (!c->event_load)
		return false;
	if (c->event_wait_ms < SLB_EVENT_DELAY_MS)
		c->event_wait_ms += elapsed_ms;
	if (c->event_wait_ms < SLB_EVENT_DELAY_MS)
		return false;
	if (c->event_load * 100 >= total_load * SLB_IMBALANCE_PCT)
		return true;
	c->event_load = 0;
	return false;
}

/* floor(sqrt(x)) */
static u64 slb_isqrt(u64 x)
{
	u64 r = 0, bit = 1ULL << 62;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/*
 * The noise margin: how far a slave's averaged load may be off by chance,
 * as a multiple of the square root of its buckets' summed squared
 * deviations.  Fixed point with 12 fraction bits (4096 is 1.0).
 *
 * A sample's standard deviation is about 1.25 times its mean absolute
 * deviation (1.25^2 = 1.5625), and an average that gives each sample the
 * weight a = sample/span has a / (2 - a) times one sample's variance:
 *
 *	factor = k * sqrt(1.5625 * a / (2 - a)),  k = SLB_NOISE_SIGMAS_X10 / 10
 *
 * In integers, 1.5625 = 15625 / 10000 and k^2 = k2 / 100; the value under
 * the root is scaled by 2^24 so that the root has 12 fraction bits.
 */
static u64 slb_noise_factor(u32 interval_ms)
{
	u64 sample = interval_ms && interval_ms < 1000 ? interval_ms : 1000;
	u64 span = slb_avg_span(interval_ms);
	u64 k2 = SLB_NOISE_SIGMAS_X10 * SLB_NOISE_SIGMAS_X10;	/* x100 */

	if (span < sample)
		span = sample;
	return slb_isqrt(div64_u64(k2 * 15625 * sample << 24,
				   1000000ULL * (2 * span - sample)));
}

/* ------------------------------------------------------------ placement */

void slb_slave_loads(const struct slb_core *c, u64 *load)
{
	unsigned int i;

	for (i = 0; i < c->nslaves; i++)
		load[i] = c->slave[i].usable ? c->slave[i].fixed : 0;
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
	return (u64)(nbuckets + 1) * slb_speed_or_default(best_speed_mbps) <
	       (u64)(best_nbuckets + 1) * slb_speed_or_default(speed_mbps);
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

/* ------------------------------------------------------------ rebalance */

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

/*
 * The lowest highest-utilisation any placement of the buckets on the
 * usable slaves could reach is at least this: the total load over the
 * total speed, and the heaviest bucket on the fastest slave.  0 with fewer
 * than two usable slaves.
 */
static u64 slb_bound(const struct slb_core *c, const u64 *load)
{
	u64 total = 0, speed = 0, heaviest = 0, mean, one;
	unsigned int i, usable = 0;
	u32 fastest = 0;

	for (i = 0; i < c->nslaves; i++) {
		u32 sp = slb_speed_or_default(c->slave[i].speed_mbps);

		if (!c->slave[i].usable)
			continue;
		usable++;
		total += load[i];
		speed += sp;
		if (sp > fastest)
			fastest = sp;
	}
	if (usable < 2)
		return 0;
	for (i = 0; i < SLB_BUCKETS; i++) {
		const struct slb_core_bucket *bk = &c->bucket[i];

		if (bk->slave < c->nslaves && c->slave[bk->slave].usable &&
		    bk->load > heaviest)
			heaviest = bk->load;
	}
	mean = div64_u64(total * 1024, speed);
	one = slb_util(heaviest, fastest);
	return mean > one ? mean : one;
}

/* The busiest usable slave and its utilisation. */
static u16 slb_busiest(const struct slb_core *c, const u64 *load, u64 *util)
{
	u16 hi = SLB_NO_SLAVE;
	unsigned int i;

	*util = 0;
	for (i = 0; i < c->nslaves; i++) {
		u64 u;

		if (!c->slave[i].usable)
			continue;
		u = slb_util(load[i], c->slave[i].speed_mbps);
		if (hi == SLB_NO_SLAVE || u > *util) {
			hi = i;
			*util = u;
		}
	}
	return hi;
}

/*
 * A bucket's deviation as utilisation of slave s, at most that of a full
 * link (125000 bytes/s per Mb/s), so that 256 squares fit in a u64.
 */
#define SLB_FULL_UTIL	(125000ULL * 1024)

static u64 slb_noise_util(const struct slb_core *c, unsigned int b, u16 s)
{
	u64 d = slb_util(c->bucket[b].noise, c->slave[s].speed_mbps);

	return d < SLB_FULL_UTIL ? d : SLB_FULL_UTIL;
}

static void slb_run_init(struct slb_run *r, const struct slb_core *c,
			 u64 now_ms)
{
	unsigned int i;

	for (i = 0; i < SLB_BUCKETS / 64; i++)
		r->moved[i] = 0;
	r->gave = 0;
	r->took = 0;
	r->step = 0;
	r->now_ms = now_ms;
	slb_slave_loads(c, r->load);
	for (i = 0; i < c->nslaves; i++)
		r->var[i] = 0;
	for (i = 0; i < SLB_BUCKETS; i++) {
		const struct slb_core_bucket *bk = &c->bucket[i];
		u64 d;

		if (bk->slave >= c->nslaves)
			continue;
		d = slb_noise_util(c, i, bk->slave);
		r->var[bk->slave] += d * d;
	}
	r->noise = slb_noise_factor(c->interval_ms);
}

/* how far the measured utilisation of slaves with this variance may be off */
static u64 slb_margin(const struct slb_run *r, u64 var)
{
	return slb_isqrt(var) * r->noise >> 12;
}

struct slb_cand {
	u64 max;	/* the pair's new maximum */
	u64 load;
	int bucket;
	int back;	/* a swap: the bucket that comes back, else -1 */
	u16 to;
};

static bool slb_cand_better(const struct slb_cand *a, const struct slb_cand *b)
{
	if (b->bucket < 0)
		return true;
	if (a->max != b->max)
		return a->max < b->max;
	return a->load < b->load;
}

/* not planned to move yet in this run, and not cooling down */
static bool slb_movable(const struct slb_core *c, const struct slb_run *r,
			unsigned int b)
{
	return !((r->moved[b / 64] >> (b % 64)) & 1) &&
	       !slb_cooling(c, b, r->now_ms);
}

/*
 * The best move off the busiest slave 'hi' (utilisation uhi) to any slave,
 * or false.  The move must lower hi by at least the step and leave the
 * receiver below uhi by the step and by the noise in that comparison: of
 * the rest of hi, of the receiver, and of the bucket itself where the two
 * speeds differ.  Best: the pair's new maximum is lowest (the move that
 * evens the pair out most), then the lighter bucket.
 */
static bool slb_pick(const struct slb_core *c, const struct slb_run *r,
		     u16 hi, u64 uhi, struct slb_cand *best)
{
	unsigned int b, s;

	best->bucket = -1;
	if (r->took & (1ULL << hi) || uhi <= r->step)
		return false;
	for (s = 0; s < c->nslaves; s++) {
		if (s == hi || !c->slave[s].usable || r->gave & (1ULL << s))
			continue;
		for (b = 0; b < SLB_BUCKETS; b++) {
			const struct slb_core_bucket *bk = &c->bucket[b];
			u64 nh, ns, dh, ds, var, gap;
			struct slb_cand cand;

			if (bk->slave != hi || !bk->load || !slb_movable(c, r, b))
				continue;
			nh = slb_util(r->load[hi] - bk->load,
				      c->slave[hi].speed_mbps);
			ns = slb_util(r->load[s] + bk->load,
				      c->slave[s].speed_mbps);
			if (nh > uhi - r->step || ns + r->step > uhi)
				continue;
			cand.max = nh > ns ? nh : ns;
			cand.load = bk->load;
			cand.bucket = b;
			cand.back = -1;
			cand.to = s;
			/* the square root last: most candidates lose before */
			if (!slb_cand_better(&cand, best))
				continue;
			dh = slb_noise_util(c, b, hi);
			ds = slb_noise_util(c, b, s);
			var = r->var[hi] - dh * dh + r->var[s] +
			      (dh > ds ? dh - ds : ds - dh) *
			      (dh > ds ? dh - ds : ds - dh);
			gap = slb_margin(r, var);
			if (ns + gap <= uhi)
				*best = cand;
		}
	}
	return best->bucket >= 0;
}

/*
 * When no single bucket can go, the best swap: a bucket of hi for a
 * lighter one of another slave that neither gave nor took yet, under the
 * same conditions as a move (lower hi by the step, leave the other below
 * uhi by the step and the noise).  Only elephants need it: a few heavy
 * buckets whose placement no single move improves.
 */
static bool slb_pick_swap(const struct slb_core *c, struct slb_run *r,
			  u16 hi, u64 uhi, struct slb_cand *best)
{
	unsigned int b2, i, nmine = 0;

	best->bucket = -1;
	if ((r->took | r->gave) & (1ULL << hi) || uhi <= r->step)
		return false;
	/* hi's candidates once, then one pass over the others' buckets */
	for (i = 0; i < SLB_BUCKETS; i++)
		if (c->bucket[i].slave == hi && c->bucket[i].load &&
		    slb_movable(c, r, i))
			r->mine[nmine++] = i;
	for (b2 = 0; b2 < SLB_BUCKETS; b2++) {
		const struct slb_core_bucket *bk2 = &c->bucket[b2];
		u16 s = bk2->slave;
		u64 gap;

		if (s >= c->nslaves || s == hi || !c->slave[s].usable ||
		    (r->gave | r->took) & (1ULL << s) || !slb_movable(c, r, b2))
			continue;
		gap = slb_margin(r, r->var[hi] + r->var[s]);
		for (i = 0; i < nmine; i++) {
			const struct slb_core_bucket *bk = &c->bucket[r->mine[i]];
			struct slb_cand cand;
			u64 nh, ns;

			if (bk2->load >= bk->load)
				continue;
			nh = slb_util(r->load[hi] - bk->load + bk2->load,
				      c->slave[hi].speed_mbps);
			ns = slb_util(r->load[s] + bk->load - bk2->load,
				      c->slave[s].speed_mbps);
			if (nh > uhi - r->step || ns + r->step + gap > uhi)
				continue;
			cand.max = nh > ns ? nh : ns;
			cand.load = bk->load - bk2->load;
			cand.bucket = r->mine[i];
			cand.back = b2;
			cand.to = s;
			if (slb_cand_better(&cand, best))
				*best = cand;
		}
	}
	return best->bucket >= 0;
}

/*
 * The slave the plan takes the next bucket from, and its utilisation: the
 * busiest while it is over the level; then any slave that was over it when
 * the run began ('hot') and is not yet below it by its noise margin, so
 * that noise alone cannot take it back over in the next run (hysteresis).
 * A slave that was under the level is left alone once the busiest is.
 */
static u16 slb_giver(const struct slb_core *c, const struct slb_run *r,
		     u64 level, u64 hot, u64 *util)
{
	u64 best_u = 0;
	unsigned int i;
	u16 best;

	best = slb_busiest(c, r->load, util);
	if (*util > level)
		return best;
	best = SLB_NO_SLAVE;
	for (i = 0; i < c->nslaves; i++) {
		u64 u;

		if (!(hot & (1ULL << i)))
			continue;
		u = slb_util(r->load[i], c->slave[i].speed_mbps);
		if (u + slb_margin(r, r->var[i]) > level &&
		    (best == SLB_NO_SLAVE || u > best_u)) {
			best = i;
			best_u = u;
		}
	}
	*util = best_u;
	return best;
}

/* Utilisation above 'level', summed over the usable slaves. */
static u64 slb_overload(const struct slb_core *c, const u64 *load, u64 level)
{
	unsigned int i;
	u64 sum = 0;

	for (i = 0; i < c->nslaves; i++) {
		u64 u;

		if (!c->slave[i].usable)
			continue;
		u = slb_util(load[i], c->slave[i].speed_mbps);
		if (u > level)
			sum += u - level;
	}
	return sum;
}

/* The plan moves bucket b from slave 'from' to 'to': the run's view. */
static void slb_plan_move(const struct slb_core *c, struct slb_run *r,
			  unsigned int b, u16 from, u16 to)
{
	u64 df = slb_noise_util(c, b, from), dt = slb_noise_util(c, b, to);

	r->load[from] -= c->bucket[b].load;
	r->load[to] += c->bucket[b].load;
	r->var[from] -= df * df;
	r->var[to] += dt * dt;
	r->moved[b / 64] |= 1ULL << (b % 64);
}

/*
 * A small excess counts only once it has lasted, on the same slave: one
 * that moves around is traffic changing, not a placement to correct.  The
 * busiest slave's excess over the fine level (negative when under it) is
 * averaged over the runs in a row that found that slave busiest, the last
 * SLB_EVIDENCE_MAX_RUNS of them; it has lasted when, after at least
 * SLB_EVIDENCE_RUNS runs, that mean is SLB_EVIDENCE_MARGINS times its own
 * noise margin (one run's over sqrt(k)).  Runs under the fine level count
 * too: a mean of only those over it would be biased up by noise alone.
 */
static bool slb_excess_lasts(struct slb_core *c, u16 hi, s64 excess,
			     u64 margin)
{
	s64 sum = c->evidence_sum;
	u32 k;

	if (!c->evidence || c->evidence_slave != hi) {
		c->evidence = 0;
		sum = 0;
	}
	c->evidence_slave = hi;
	if (c->evidence < SLB_EVIDENCE_MAX_RUNS)
		c->evidence++;
	else if (sum >= 0)
		sum -= div_u64(sum, c->evidence);
	else
		sum += div_u64(-sum, c->evidence);
	sum += excess;
	c->evidence_sum = sum;
	k = c->evidence;
	/* mean * sqrt(k) > margins * margin, with sqrt(k) << 10 */
	return k >= SLB_EVIDENCE_RUNS && sum > 0 &&
	       div_u64(sum, k) * slb_isqrt((u64)k << 20) >
	       SLB_EVIDENCE_MARGINS * margin << 10;
}

int slb_rebalance(struct slb_core *c, u64 now_ms, struct slb_move *moves,
		  int max_moves)
{
	struct slb_cand plan[SLB_MAX_MOVES_PER_RUN], cand = { .bucket = -1 };
	bool half[SLB_MAX_MOVES_PER_RUN];
	u64 after[SLB_MAX_MOVES_PER_RUN], over[SLB_MAX_MOVES_PER_RUN], over0;
	struct slb_run *r = &c->run;
	u64 bound, umax, level, fine, margin;
	bool resume, capped = false;
	u64 hot = 0;
	int n = 0, i, keep;
	u16 hi;

	if (max_moves > SLB_MAX_MOVES_PER_RUN)
		max_moves = SLB_MAX_MOVES_PER_RUN;
	c->event_load = 0;
	slb_run_init(r, c, now_ms);
	bound = slb_bound(c, r->load);
	if (!bound)
		return 0;
	hi = slb_busiest(c, r->load, &umax);
	level = div_u64(bound * (100 + SLB_IMBALANCE_PCT), 100);
	fine = div_u64(bound * (100 + SLB_FINE_PCT), 100);
	margin = slb_margin(r, r->var[hi]);
	resume = c->resume;
	c->resume = false;
	if (r->load[hi] < SLB_MIN_REBALANCE_LOAD) {
		c->evidence = 0;
		return 0;
	}
	if (umax <= level || (!resume && umax <= level + margin)) {
		if (!slb_excess_lasts(c, hi, (s64)umax - (s64)fine, margin))
			return 0;
		level = fine;
	}
	c->evidence = 0;
	r->step = div_u64(bound * SLB_MIN_STEP_PERMILLE, 1000);
	for (i = 0; i < (int)c->nslaves; i++)
		if (c->slave[i].usable &&
		    slb_util(r->load[i], c->slave[i].speed_mbps) > level)
			hot |= 1ULL << i;
	over0 = slb_overload(c, r->load, level);

	/*
	 * Plan: one bucket at a time off the busiest slave while it is over
	 * the level, then off each slave that began the run over it until
	 * that one is below by its noise margin (slb_giver()).  A plan cut
	 * short by the move cap is carried on by the next run (resume).
	 */
	for (;;) {
		u64 uhi;

		hi = slb_giver(c, r, level, hot, &uhi);
		if (hi == SLB_NO_SLAVE)
			break;
		if (n == max_moves) {
			capped = true;
			break;
		}
		if (!slb_pick(c, r, hi, uhi, &cand) &&
		    (n + 2 > max_moves || !slb_pick_swap(c, r, hi, uhi, &cand)))
			break;
		slb_plan_move(c, r, cand.bucket, hi, cand.to);
		plan[n].bucket = cand.bucket;
		plan[n].to = cand.to;
		if (cand.back >= 0) {
			/* half a swap: never carried out alone */
			half[n++] = true;
			slb_plan_move(c, r, cand.back, cand.to, hi);
			plan[n].bucket = cand.back;
			plan[n].to = hi;
			r->gave |= 1ULL << cand.to;
			r->took |= 1ULL << hi;
		}
		half[n] = false;
		r->gave |= 1ULL << hi;
		r->took |= 1ULL << cand.to;
		slb_busiest(c, r->load, &after[n]);
		over[n] = slb_overload(c, r->load, level);
		if (n && half[n - 1]) {
			after[n - 1] = after[n];
			over[n - 1] = over[n];
		}
		n++;
	}
	if (!n)
		return 0;
	/*
	 * Carry out the shortest part of the plan that gets as far as all of
	 * it, and only if that is worth its moves: it clears the overload, or
	 * lowers it by SLB_MIN_GAIN_PCT of the bound.
	 */
	for (keep = 1; keep < n && (half[keep - 1] ||
				    after[keep - 1] > after[n - 1]); keep++)
		;
	if (over[keep - 1] >= over0 ||
	    (over[keep - 1] && (over0 - over[keep - 1]) * 100 <
			       bound * SLB_MIN_GAIN_PCT))
		return 0;
	c->resume = capped;
	n = 0;
	for (i = 0; i < keep; i++)
		slb_assign(c, plan[i].bucket, plan[i].to, now_ms, moves, &n);
	return n;
}

/* ------------------------------------------------------------ failover */

/* Where an evacuated bucket goes; idle ones go where placement would. */
static u16 slb_evacuee_slave(const struct slb_core *c, const u64 *load,
			     u64 bload)
{
	u16 best = SLB_NO_SLAVE;
	u64 best_util = 0;
	unsigned int i;

	if (!bload)
		return slb_least_utilised(c, load, NULL);
	for (i = 0; i < c->nslaves; i++) {
		u64 u;

		if (!c->slave[i].usable)
			continue;
		u = slb_util(load[i] + bload, c->slave[i].speed_mbps);
		if (best == SLB_NO_SLAVE || u < best_util) {
			best = i;
			best_util = u;
		}
	}
	return best;
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
		to = slb_evacuee_slave(c, load, c->bucket[heaviest].load);
		if (to == SLB_NO_SLAVE)
			break;
		load[to] += c->bucket[heaviest].load;
		slb_assign(c, heaviest, to, now_ms, moves, &n);
	}
	return n;
}
