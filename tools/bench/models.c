// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MODELS of the rebalancers a user would otherwise pick, written for this
 * simulator from their documented behaviour; no code was taken from Open
 * vSwitch, Linux or libteam.  Where the documentation is silent, the choice
 * made is said next to it.  All work on the same 256 buckets and see the
 * same byte counters as balance-slb.
 *
 * OVS SLB as Open vSwitch 3.x rebalances (ofproto/bond.c of 3.1, read for
 * its rules: bond_rebalance(), choose_entries_to_migrate(),
 * choose_output_member(); "ovs-slb"):
 *   - a hash without a member, or whose member is disabled, takes the next
 *     enabled member in turn (one round-robin for the whole bond) on its
 *     next frame; a hash keeps its member when its MACs go quiet or leave,
 *     so a new MAC in a used hash goes where that hash went; a returning
 *     member gets only new hashes until a rebalance gives it some;
 *   - each hash's load is its byte counter, which accumulates and is
 *     halved after every run (integer halving: a departed MAC's bytes
 *     count, ever less, for log2 of them runs); a member's load is the sum
 *     over its hashes that carry bytes;
 *   - a run starts at the first revalidator dump past next_rebalance and
 *     re-arms it from then: here every 10.2 s, the spacing of the real
 *     runs' "shift" lines; the first one interval after the bond is made;
 *   - while two or more enabled members remain: the most loaded (from)
 *     and the least loaded (to); stop if from exceeds to by less than 1/32
 *     of to's load or by less than 100000 bytes; else, if from has two or
 *     more hashes (those that came or went in this run not counted), go
 *     through them heaviest first and take each one that still fits in
 *     the half-difference (to's way to the midpoint), until what is taken
 *     is within a tenth of it; if none fits, the lightest alone; shift
 *     them all if that brings the lighter side of the pair at least a
 *     tenth of the way to the midpoint, else "from" leaves the run;
 *   - bytes, not utilisation: link speeds are not considered; no cap on
 *     shifts per run, no cooldown; a hash moves at most once per run.
 *
 * Older Open vSwitch, the load-ratio rule ("ovs-old"; Documentation/
 * topics/bonding.rst, vswitch.xml; kept to compare with earlier results):
 *   - a new hash goes to a member "arbitrarily": here round-robin over the
 *     enabled members; a disabled member's hashes are re-placed the same
 *     way on their next frame; a returning member gets nothing until the
 *     next rebalance;
 *   - every bond-rebalance-interval (10 s): loads are the bytes of each
 *     hash, "over approximately the past minute, with data sent more
 *     recently weighted more heavily" (here: accumulated, halved after each
 *     rebalance); members are taken from most to least loaded; while a
 *     member H is "significantly more loaded" than the least loaded L (at
 *     least 1 Mbit/s more and at least 3 % more) and carries at least two
 *     hashes, one of H's hashes moves to L, but only if that lowers the
 *     H:L load ratio by at least 0.1 (here: the heaviest hash not over
 *     half the difference, so the pair does not swap roles);
 *   - bytes, not utilisation: link speeds are not considered; no cap on
 *     moves per run (a hash moves at most once per run), no cooldown.
 *
 * Linux balance-tlb (Documentation/networking/bonding.rst, tlb_dynamic_lb=1):
 *   - every 10 s all hash assignments are cleared; a hash's load for the
 *     next period is its average bytes/s of the period that ended (plus
 *     one, as the driver does, so a clear right after a clear does not
 *     put everything on one slave);
 *   - a hash without a slave takes, on its first frame, the slave with the
 *     most spare capacity (speed minus the loads of the hashes placed on it
 *     since the clear); hashes never seen before count as load 0;
 *   - a failed slave's hashes are re-placed the same way on their next
 *     frame; a slave coming up orders a full clear at once.
 *
 * teamd "basic" tx_balancer (teamd.conf(5), runner loadbalance):
 *   - every balancing_interval (default 5 s) all hashes, heaviest first by
 *     the bytes of the last interval, are assigned to the port that has
 *     received the fewest bytes so far in this pass (bytes, not speed);
 *     hashes that sent nothing keep their port;
 *   - an unmapped hash uses hash % enabled ports; a failed port's hashes
 *     fall back to that until the next pass.
 */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

/* ------------------------------------------------------------ OVS SLB */

#define OVS_INTERVAL_S		10
#define OVS_MIN_OVERLOAD	(125000ULL * OVS_INTERVAL_S)	/* ~1 Mbit/s */
#define OVS_MIN_OVERLOAD_PCT	3
#define OVS_MIN_RATIO_GAIN	0.1

struct ovs_sim {
	const struct trace *tr;
	u16 slave[SLB_BUCKETS];
	u64 bytes[SLB_BUCKETS];
	bool en[SIM_MAX_SLAVES];
	unsigned int rr;
	unsigned int next_rebalance;
};

static void *ovs_init(const struct trace *tr)
{
	struct ovs_sim *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		abort();
	s->tr = tr;
	for (i = 0; i < SLB_BUCKETS; i++)
		s->slave[i] = SLB_NO_SLAVE;
	for (i = 0; i < tr->nslaves; i++)
		s->en[i] = true;
	s->next_rebalance = OVS_INTERVAL_S;
	return s;
}

static bool ovs_link(void *st, unsigned int slave, bool up, unsigned int t)
{
	struct ovs_sim *s = st;
	unsigned int b;

	(void)t;
	s->en[slave] = up;
	if (up)
		return false;
	for (b = 0; b < SLB_BUCKETS; b++)
		if (s->slave[b] == slave)
			s->slave[b] = SLB_NO_SLAVE;
	return false;
}

/*
 * Both Open vSwitch models: new hashes (need[]) go to the enabled members
 * in turn, one list for the whole bond; then the second's bytes count.
 */
static void ovs_place_rr(const struct trace *tr, unsigned int t,
			 const bool *need, const bool *en, unsigned int *rr,
			 u16 *slave, u64 *bytes)
{
	unsigned int i, n, k, ns = tr->nslaves;
	u16 order[SLB_BUCKETS];

	n = sim_arrivals(tr, t, need, order);
	for (i = 0; i < n; i++) {
		for (k = 0; k < ns; k++) {
			unsigned int cand = (*rr + k) % ns;

			if (en[cand]) {
				slave[order[i]] = cand;
				*rr = cand + 1;
				break;
			}
		}
	}
	for (i = 0; i < SLB_BUCKETS; i++)
		bytes[i] += tr->bytes[TR_IDX(t, i)];
}

static void ovs_traffic(void *st, unsigned int t)
{
	struct ovs_sim *s = st;
	bool need[SLB_BUCKETS];
	unsigned int i;

	for (i = 0; i < SLB_BUCKETS; i++)
		need[i] = s->slave[i] == SLB_NO_SLAVE;
	ovs_place_rr(s->tr, t, need, s->en, &s->rr, s->slave, s->bytes);
}

/* one hash from the busiest member that can give one; false: balanced */
static bool ovs_move_one(struct ovs_sim *s, bool *moved)
{
	unsigned int ns = s->tr->nslaves, i, b, nh;
	u64 load[SIM_MAX_SLAVES] = { 0 };
	bool tried[SIM_MAX_SLAVES] = { false };
	int lo = -1;

	for (b = 0; b < SLB_BUCKETS; b++)
		if (s->slave[b] != SLB_NO_SLAVE)
			load[s->slave[b]] += s->bytes[b];
	for (i = 0; i < ns; i++)
		if (s->en[i] && (lo < 0 || load[i] < load[lo]))
			lo = i;
	if (lo < 0)
		return false;
	for (;;) {
		int hi = -1, best = -1;
		u64 diff;
		double before, after;

		for (i = 0; i < ns; i++)
			if (s->en[i] && (int)i != lo && !tried[i] &&
			    (hi < 0 || load[i] > load[hi]))
				hi = i;
		if (hi < 0)
			return false;
		tried[hi] = true;
		diff = load[hi] - load[lo];
		if (load[hi] < load[lo] || diff < OVS_MIN_OVERLOAD ||
		    diff * 100 < load[lo] * OVS_MIN_OVERLOAD_PCT)
			return false;	/* the rest are even less loaded */
		nh = 0;
		for (b = 0; b < SLB_BUCKETS; b++) {
			if (s->slave[b] != hi || !s->bytes[b])
				continue;
			nh++;
			if (moved[b] || 2 * s->bytes[b] > diff)
				continue;
			if (best < 0 || s->bytes[b] > s->bytes[best])
				best = b;
		}
		if (nh < 2 || best < 0)
			continue;
		before = load[lo] ? (double)load[hi] / load[lo] : 1e300;
		after = (double)(load[hi] - s->bytes[best]) /
			(double)(load[lo] + s->bytes[best]);
		if (before - after < OVS_MIN_RATIO_GAIN)
			continue;
		s->slave[best] = lo;
		moved[best] = true;
		return true;
	}
}

static bool ovs_tick(void *st, unsigned int t)
{
	struct ovs_sim *s = st;
	bool moved[SLB_BUCKETS] = { false };
	unsigned int b;

	if (t + 1 < s->next_rebalance)
		return false;
	s->next_rebalance += OVS_INTERVAL_S;
	while (ovs_move_one(s, moved))
		;
	for (b = 0; b < SLB_BUCKETS; b++)
		s->bytes[b] /= 2;
	return true;
}

static u16 ovs_slave_of(void *st, unsigned int b)
{
	return ((struct ovs_sim *)st)->slave[b];
}

const struct algo algo_ovs_old = {
	.name = "ovs-old",
	.label = "MODEL of older Open vSwitch balance-slb (the load-ratio rule)",
	.init = ovs_init,
	.link = ovs_link,
	.traffic = ovs_traffic,
	.tick = ovs_tick,
	.slave_of = ovs_slave_of,
	.fini = free,
};

/* ---------------------------------------------------- OVS 3.x SLB */

#define OVS3_INTERVAL_S		10.0
/*
 * bond_rebalance() runs only after a revalidator dump (every 500 ms or
 * more, other_config:max-revalidator) at or past next_rebalance, and re-arms
 * from that moment: 10.1 to 10.25 s apart in the real churn runs' logs
 */
#define OVS3_DUMP_LAG_S		0.2
#define OVS3_MIN_OVERLOAD	100000ULL	/* bytes, accumulated */
#define OVS3_MIN_OVERLOAD_SHIFT	5		/* 1/32 of the lighter */
#define OVS3_MIN_STEP_DIV	10		/* a tenth of the way */

struct ovs3_sim {
	const struct trace *tr;
	u16 slave[SLB_BUCKETS];		/* kept while the member is down */
	u64 bytes[SLB_BUCKETS];
	bool en[SIM_MAX_SLAVES];
	unsigned int rr;
	double next_rebalance;		/* s */
};

static void *ovs3_init(const struct trace *tr)
{
	struct ovs3_sim *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		abort();
	s->tr = tr;
	for (i = 0; i < SLB_BUCKETS; i++)
		s->slave[i] = SLB_NO_SLAVE;
	for (i = 0; i < tr->nslaves; i++)
		s->en[i] = true;
	/* the bond is made at 0: the first run one interval later */
	s->next_rebalance = OVS3_INTERVAL_S + OVS3_DUMP_LAG_S;
	return s;
}

/* a member going down keeps its hashes: each is re-placed on its next frame */
static bool ovs3_link(void *st, unsigned int slave, bool up, unsigned int t)
{
	(void)t;
	((struct ovs3_sim *)st)->en[slave] = up;
	return false;
}

static void ovs3_traffic(void *st, unsigned int t)
{
	struct ovs3_sim *s = st;
	bool need[SLB_BUCKETS];
	unsigned int i;

	/* a hash on a member that went down is placed again */
	for (i = 0; i < SLB_BUCKETS; i++)
		need[i] = s->slave[i] == SLB_NO_SLAVE || !s->en[s->slave[i]];
	ovs_place_rr(s->tr, t, need, s->en, &s->rr, s->slave, s->bytes);
}

static const u64 *ovs3_sort_bytes;

/* heaviest first; equals by bucket (OVS leaves their order to qsort) */
static int ovs3_cmp(const void *a, const void *b)
{
	u16 x = *(const u16 *)a, y = *(const u16 *)b;
	u64 bx = ovs3_sort_bytes[x], by = ovs3_sort_bytes[y];

	if (bx != by)
		return bx > by ? -1 : 1;
	return (int)x - (int)y;
}

/*
 * The hashes to shift from 'from' (load lf) to 'to' (load lt), into
 * 'out'; how many, 0 for none.  Of from's hashes that carry bytes and did
 * not come or go in this run, heaviest first, take each that still fits
 * in half the difference, until within a tenth of it; if none fits, the
 * lightest alone.  Only if that brings the lighter side at least a tenth
 * of the way to the midpoint (and from has two or more hashes).
 */
static unsigned int ovs3_choose(const struct ovs3_sim *s, const bool *moved,
				unsigned int from, u64 lf, u64 lt, u16 *out)
{
	u64 ideal = (lf + lt) / 2 - lt, step = ideal / OVS3_MIN_STEP_DIV;
	u64 delta = 0, low;
	unsigned int b, n = 0, cnt = 0, i;
	u16 list[SLB_BUCKETS];

	for (b = 0; b < SLB_BUCKETS; b++)
		if (s->slave[b] == from && s->bytes[b] && !moved[b])
			list[n++] = b;
	if (n < 2)
		return 0;
	ovs3_sort_bytes = s->bytes;
	qsort(list, n, sizeof(*list), ovs3_cmp);
	for (i = 0; i < n; i++) {
		if (delta + s->bytes[list[i]] <= ideal) {
			out[cnt++] = list[i];
			delta += s->bytes[list[i]];
		}
		if (ideal - delta < step)
			break;
	}
	if (!cnt) {
		out[cnt++] = list[n - 1];
		delta = s->bytes[list[n - 1]];
	}
	low = lf - delta < lt + delta ? lf - delta : lt + delta;
	return low > lt && low - lt >= step ? cnt : 0;
}

static bool ovs3_tick(void *st, unsigned int t)
{
	struct ovs3_sim *s = st;
	unsigned int ns = s->tr->nslaves, i, b, cnt;
	bool moved[SLB_BUCKETS] = { false }, in[SIM_MAX_SLAVES];
	u64 load[SIM_MAX_SLAVES] = { 0 };
	u16 pick[SLB_BUCKETS];

	if (t + 1 < s->next_rebalance)
		return false;
	/* it ran at next_rebalance, within second t */
	s->next_rebalance += OVS3_INTERVAL_S + OVS3_DUMP_LAG_S;
	for (b = 0; b < SLB_BUCKETS; b++)
		if (s->slave[b] != SLB_NO_SLAVE)
			load[s->slave[b]] += s->bytes[b];
	for (i = 0; i < ns; i++)
		in[i] = s->en[i];
	for (;;) {
		int from = -1, to = -1;
		unsigned int left = 0;
		u64 over;

		/* ties: the lower index counts as more loaded */
		for (i = 0; i < ns; i++) {
			if (!in[i])
				continue;
			left++;
			if (from < 0 || load[i] > load[from])
				from = i;
			if (to < 0 || load[i] <= load[to])
				to = i;
		}
		if (left < 2)
			break;
		over = load[from] - load[to];
		if (over < load[to] >> OVS3_MIN_OVERLOAD_SHIFT ||
		    over < OVS3_MIN_OVERLOAD)
			break;
		cnt = ovs3_choose(s, moved, from, load[from], load[to], pick);
		if (!cnt) {
			in[from] = false;
			continue;
		}
		for (i = 0; i < cnt; i++) {
			b = pick[i];
			s->slave[b] = to;
			moved[b] = true;
			load[from] -= s->bytes[b];
			load[to] += s->bytes[b];
		}
	}
	for (b = 0; b < SLB_BUCKETS; b++)
		s->bytes[b] /= 2;
	return true;
}

static u16 ovs3_slave_of(void *st, unsigned int b)
{
	struct ovs3_sim *s = st;
	u16 sl = s->slave[b];

	return sl != SLB_NO_SLAVE && s->en[sl] ? sl : SLB_NO_SLAVE;
}

const struct algo algo_ovs = {
	.name = "ovs-slb",
	.label = "MODEL of Open vSwitch 3.x bond_mode=balance-slb (ofproto/bond.c's rules)",
	.init = ovs3_init,
	.link = ovs3_link,
	.traffic = ovs3_traffic,
	.tick = ovs3_tick,
	.slave_of = ovs3_slave_of,
	.fini = free,
};

/* ------------------------------------------------------- Linux TLB */

#define TLB_INTERVAL_S		10

struct tlb_sim {
	const struct trace *tr;
	u16 slave[SLB_BUCKETS];
	u64 bytes[SLB_BUCKETS];		/* this period */
	u64 history[SLB_BUCKETS];	/* bytes/s of the last period */
	double load[SIM_MAX_SLAVES];	/* placed since the last clear */
	bool en[SIM_MAX_SLAVES];
	unsigned int next_clear;
};

static void *tlb_init(const struct trace *tr)
{
	struct tlb_sim *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		abort();
	s->tr = tr;
	for (i = 0; i < SLB_BUCKETS; i++)
		s->slave[i] = SLB_NO_SLAVE;
	for (i = 0; i < tr->nslaves; i++)
		s->en[i] = true;
	s->next_clear = TLB_INTERVAL_S;
	return s;
}

static void tlb_clear(struct tlb_sim *s)
{
	unsigned int b;

	for (b = 0; b < SLB_BUCKETS; b++) {
		/* +1: a hash still counts a little after a short period */
		s->history[b] = 1 + s->bytes[b] / TLB_INTERVAL_S;
		s->bytes[b] = 0;
		s->slave[b] = SLB_NO_SLAVE;
	}
	memset(s->load, 0, sizeof(s->load));
}

static bool tlb_link(void *st, unsigned int slave, bool up, unsigned int t)
{
	struct tlb_sim *s = st;
	unsigned int b;

	s->en[slave] = up;
	if (up) {
		/* "rebalance ASAP": a full clear now, the period restarts */
		tlb_clear(s);
		s->next_clear = t + TLB_INTERVAL_S;
		return true;
	}
	for (b = 0; b < SLB_BUCKETS; b++)
		if (s->slave[b] == slave)
			s->slave[b] = SLB_NO_SLAVE;
	s->load[slave] = 0;
	return false;
}

static void tlb_traffic(void *st, unsigned int t)
{
	struct tlb_sim *s = st;
	unsigned int i, j, n;
	bool need[SLB_BUCKETS];
	u16 order[SLB_BUCKETS];

	for (i = 0; i < SLB_BUCKETS; i++)
		need[i] = s->slave[i] == SLB_NO_SLAVE;
	n = sim_arrivals(s->tr, t, need, order);
	for (i = 0; i < n; i++) {
		u16 b = order[i];
		int best = -1;
		double gap, best_gap = 0;

		/* spare capacity in bits/s; the first of equals wins */
		for (j = 0; j < s->tr->nslaves; j++) {
			if (!s->en[j])
				continue;
			gap = s->tr->speed[j] * 1048576.0 - s->load[j] * 8;
			if (best < 0 || gap > best_gap) {
				best = j;
				best_gap = gap;
			}
		}
		if (best < 0)
			continue;
		s->slave[b] = best;
		s->load[best] += s->history[b];
	}
	for (i = 0; i < SLB_BUCKETS; i++)
		s->bytes[i] += s->tr->bytes[TR_IDX(t, i)];
}

static bool tlb_tick(void *st, unsigned int t)
{
	struct tlb_sim *s = st;

	if (t + 1 < s->next_clear)
		return false;
	s->next_clear = t + 1 + TLB_INTERVAL_S;
	tlb_clear(s);
	return true;
}

static u16 tlb_slave_of(void *st, unsigned int b)
{
	return ((struct tlb_sim *)st)->slave[b];
}

const struct algo algo_tlb = {
	.name = "tlb",
	.label = "MODEL of Linux bonding balance-tlb, tlb_dynamic_lb=1 (from its documentation)",
	.init = tlb_init,
	.link = tlb_link,
	.traffic = tlb_traffic,
	.tick = tlb_tick,
	.slave_of = tlb_slave_of,
	.fini = free,
};

/* ------------------------------------------------------ teamd basic */

#define TEAM_INTERVAL_S		5

struct team_sim {
	const struct trace *tr;
	u16 map[SLB_BUCKETS];		/* SLB_NO_SLAVE: unmapped */
	u64 bytes[SLB_BUCKETS];		/* this interval */
	bool en[SIM_MAX_SLAVES];
	unsigned int next;
};

static void *team_init(const struct trace *tr)
{
	struct team_sim *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		abort();
	s->tr = tr;
	for (i = 0; i < SLB_BUCKETS; i++)
		s->map[i] = SLB_NO_SLAVE;
	for (i = 0; i < tr->nslaves; i++)
		s->en[i] = true;
	s->next = TEAM_INTERVAL_S;
	return s;
}

static bool team_link(void *st, unsigned int slave, bool up, unsigned int t)
{
	struct team_sim *s = st;
	unsigned int b;

	(void)t;
	s->en[slave] = up;
	if (up)
		return false;
	for (b = 0; b < SLB_BUCKETS; b++)
		if (s->map[b] == slave)
			s->map[b] = SLB_NO_SLAVE;
	return false;
}

static void team_traffic(void *st, unsigned int t)
{
	struct team_sim *s = st;
	unsigned int b;

	for (b = 0; b < SLB_BUCKETS; b++)
		s->bytes[b] += s->tr->bytes[TR_IDX(t, b)];
}

static bool team_tick(void *st, unsigned int t)
{
	struct team_sim *s = st;
	u64 port[SIM_MAX_SLAVES] = { 0 };
	bool done[SLB_BUCKETS] = { false };
	unsigned int i, j;

	if (t + 1 < s->next)
		return false;
	s->next += TEAM_INTERVAL_S;
	for (i = 0; i < SLB_BUCKETS; i++) {
		int big = -1, lo = -1;

		for (j = 0; j < SLB_BUCKETS; j++)
			if (!done[j] && (big < 0 || s->bytes[j] > s->bytes[big]))
				big = j;
		done[big] = true;
		if (s->map[big] != SLB_NO_SLAVE && !s->bytes[big])
			continue;
		for (j = 0; j < s->tr->nslaves; j++)
			if (s->en[j] && (lo < 0 || port[j] < port[lo]))
				lo = j;
		if (lo < 0)
			break;
		s->map[big] = lo;
		port[lo] += s->bytes[big];
	}
	memset(s->bytes, 0, sizeof(s->bytes));
	return true;
}

static u16 team_slave_of(void *st, unsigned int b)
{
	struct team_sim *s = st;
	unsigned int j, n = 0, k;

	if (s->map[b] != SLB_NO_SLAVE)
		return s->map[b];
	for (j = 0; j < s->tr->nslaves; j++)
		n += s->en[j];
	if (!n)
		return SLB_NO_SLAVE;
	k = b % n;
	for (j = 0; j < s->tr->nslaves; j++)
		if (s->en[j] && !k--)
			return j;
	return SLB_NO_SLAVE;
}

const struct algo algo_team = {
	.name = "teamd",
	.label = "MODEL of teamd runner loadbalance, tx_balancer basic (from its documentation)",
	.init = team_init,
	.link = team_link,
	.traffic = team_traffic,
	.tick = team_tick,
	.slave_of = team_slave_of,
	.fini = free,
};
