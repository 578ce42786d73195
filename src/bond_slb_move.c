// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb load measurement and bucket moves.
 *
 * Once a second the work turns each bucket's byte counter into a rate and
 * a slow average (bond_slb_sample()); rebalancing and failover hand a
 * snapshot to the algorithms of bond_slb_core.c and carry out the moves
 * they plan (bond_slb_moves_apply()).
 *
 * A failover move happens at once.  A planned move waits: its target is
 * published in bucket->planned, and the first frame after a pause of
 * slb_move_gap in the bucket's traffic switches the bucket
 * (bond_slb_move_at_gap(), on the transmit path), or the work does it for
 * an idle bucket (bond_slb_advance_moves()).  The state of a waiting move
 * (bucket->planned, ->last_tx_ns, ->move_since_ns, slb->moves_waiting and
 * slb->move_done) is changed by the functions of this file only.
 */

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>

#include "bond_slb_priv.h"

/* Bytes sent in bucket b so far, over all CPUs. */
static u64 slb_bucket_bytes(struct bond_slb *slb, unsigned int b)
{
	unsigned int start;
	u64 total = 0, v;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct slb_pcpu *p = per_cpu_ptr(slb->pcpu, cpu);

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			v = u64_stats_read(&p->bytes[b]);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		total += v;
	}
	return total;
}

/* Bytes of steered reports so far, over all CPUs. */
static u64 slb_report_bytes(struct bond_slb *slb)
{
	unsigned int start;
	u64 total = 0, v;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct slb_pcpu *p = per_cpu_ptr(slb->pcpu, cpu);

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			v = u64_stats_read(&p->cnt[SLB_CNT_REPORT_BYTES]);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		total += v;
	}
	return total;
}

/* Where the steered reports go: the receive slave.  Under slb->lock. */
static struct slave *slb_report_slave(struct bond_slb *slb)
{
	return rcu_dereference_protected(slb->rx_slave,
					 lockdep_is_held(&slb->lock));
}

/*
 * Bucket b is about to leave 'from'.  Frames for its MACs still arrive
 * there until the switch sees them on the new port: keep accepting them on
 * 'from' for SLB_RX_GRACE_MS, or SLB_MAC_AGE_MS if the bucket holds a MAC
 * we could not learn and so cannot announce.  A bucket that had no slave
 * has no previous slave: while it had none, the first slave a unicast for
 * it arrived on took it (slb_rx_claim()).
 */
void bond_slb_rx_handover(struct bond_slb *slb, unsigned int b,
			  struct slave *from)
{
	struct slb_bucket *bk = &slb->bucket[b];

	/* a new previous slave: its grace starts now, whatever came before */
	WRITE_ONCE(bk->rx_prev, NULL);
	slb_rx_grace_from(bk, jiffies);
	WRITE_ONCE(bk->rx_prev, from);
	smp_wmb();	/* before the new slave is published */
}

/*
 * A slave being released is marked ->leaving, then its buckets are moved
 * off (bond_slb_slave_removing()), with no grace period in between.  A
 * transmit that pointed bucket b at 'to' looks at ->leaving again after
 * its cmpxchg (a full barrier on success): either the release saw the
 * bucket on 'to' and moves it, or this sees ->leaving and takes the
 * bucket back.  True if the bucket may stay.
 */
bool bond_slb_kept_unless_leaving(struct bond_slb *slb, unsigned int b,
				  struct slave *to, struct slave *back)
{
	if (likely(!READ_ONCE(to->slb.leaving)))
		return true;
	cmpxchg(&slb->tx[b].slave, RCU_INITIALIZER(to),
		RCU_INITIALIZER(back));
	return false;
}

/*
 * Reorder-free moves.  A planned move (rebalance, failback, slb_migrate)
 * waits in bucket->planned for a pause in the bucket's traffic at least
 * slb_move_gap long: by then the frames queued on the old slave have
 * left, so the first frame on the new slave cannot overtake them.  A
 * bucket that never pauses moves after SLB_MOVE_MAX_WAIT_MS anyway.
 * Failover does not wait: the old link is gone.
 *
 * Frames stamp the bucket only when its stamp is a sixteenth of the gap
 * old, so that a busy bucket's frames do not all write its cache line.
 * The stamp may then be that much older than the last frame, and the
 * pause must be that much longer.
 *
 * The work moves a bucket that paused while nothing sends in it; a
 * frame may be on its way meanwhile, having read the old slave.  So the
 * work first takes the pause: it swaps the stamp it judged for
 * SLB_PAUSE_TAKEN.  A frame that stamps after a pause does so with a
 * compare-and-swap too: either the frame stamps first, and the work
 * leaves the bucket where it is, or the work took the pause, and the
 * frame moves the bucket itself (or finds it moved) and goes to the new
 * slave.  Only a frame that needed no stamp (its stamp younger than a
 * sixteenth of the gap when it read the clock) can still be on its way to
 * the old slave when the work moves the bucket: one stalled for longer
 * than the gap between reading the clock and the old slave's queue.
 */
#define SLB_STAMP_DIV	16
#define SLB_PAUSE_TAKEN	S64_MAX

static s64 slb_move_gap_ns(const struct bonding *bond)
{
	return (s64)READ_ONCE(bond->slb_params.move_gap) * NSEC_PER_MSEC;
}

static bool slb_move_due(const struct bonding *bond,
			 const struct slb_bucket *bk, u64 now, s64 last)
{
	s64 gap = slb_move_gap_ns(bond);

	if (last == SLB_PAUSE_TAKEN)
		return true;
	/* signed: another CPU may have stamped a frame after 'now' was read */
	return (s64)(now - last) >= gap + gap / SLB_STAMP_DIV ||
		(s64)(now - atomic64_read(&bk->move_since_ns)) >=
		(s64)SLB_MOVE_MAX_WAIT_MS * NSEC_PER_MSEC;
}

/* Point bucket b at 'to' unless another CPU changed it meanwhile. */
static bool slb_move_switch(struct bond_slb *slb, unsigned int b,
			    struct slave *from, struct slave *to)
{
	struct slave *cur;

	bond_slb_rx_handover(slb, b, from);
	cur = unrcu_pointer(cmpxchg(&slb->tx[b].slave, RCU_INITIALIZER(from),
				    RCU_INITIALIZER(to)));
	if (cur != from || !bond_slb_kept_unless_leaving(slb, b, to, from))
		return false;
	atomic64_inc(&to->slb.moves_in);
	if (from)
		atomic64_inc(&from->slb.moves_out);
	atomic64_inc(&slb->moves);
	return true;
}

/*
 * A frame of a bucket whose move waits ('to', read before 'cur'): is this
 * the gap to move at?  Returns the slave the frame goes to.
 */
struct slave *bond_slb_move_at_gap(struct bonding *bond, struct bond_slb *slb,
				   unsigned int b, struct slave *cur,
				   struct slave *to)
{
	struct slb_bucket *bk = &slb->bucket[b];
	u64 now = ktime_get_mono_fast_ns();
	s64 last;

	if (to == cur)
		return cur;
	last = atomic64_read(&bk->last_tx_ns);
	if (!slb_move_due(bond, bk, now, last)) {
		if ((s64)(now - last) < slb_move_gap_ns(bond) / SLB_STAMP_DIV ||
		    atomic64_try_cmpxchg(&bk->last_tx_ns, &last, now) ||
		    last != SLB_PAUSE_TAKEN)
			return cur;
		/* the work took the pause: the bucket moves, this frame too */
	}
	if (!slb_usable(to))
		return cur;
	if (!slb_move_switch(slb, b, cur, to)) {
		/* the work moved it first: follow, not to the old slave */
		to = rcu_dereference(slb->tx[b].slave);
		return slb_usable(to) ? to : cur;
	}
	/* the work clears ->planned and announces the MACs on 'to' */
	set_bit(b, slb->move_done);
	mod_delayed_work(bond->wq, &slb->work, 0);
	return to;
}

/*
 * Under slb->lock no slave of slb->slaves[] goes away, but transmit and
 * receive may still point a bucket without a usable slave at one
 * (cmpxchg): a marked read, never a plain one.
 */
static struct slave *slb_bucket_slave(struct bond_slb *slb, unsigned int b)
{
	return rcu_dereference_check(slb->tx[b].slave,
				     lockdep_is_held(&slb->lock));
}

/* Fill slb->core from the live bucket pointers.  Under slb->lock. */
static void slb_snapshot(struct bond_slb *slb, unsigned long now)
{
	struct slb_core *c = &slb->core;
	unsigned int i, j;

	c->nslaves = slb->nslaves;
	c->cooldown_ms = READ_ONCE(slb->bond->slb_params.move_cooldown);
	c->interval_ms = READ_ONCE(slb->bond->slb_params.rebalance_interval);
	for (i = 0; i < slb->nslaves; i++) {
		c->slave[i].speed_mbps = slb_slave_speed(slb->slaves[i]);
		c->slave[i].usable = slb_usable(slb->slaves[i]);
		/* the reports stay with the receive slave whatever moves */
		c->slave[i].fixed = slb->slaves[i] == slb_report_slave(slb) ?
			slb->report_load : 0;
	}
	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slave *s = rcu_dereference_protected(slb->tx[i].planned,
							    lockdep_is_held(&slb->lock));
		struct slb_core_bucket *cb = &c->bucket[i];

		/* a bucket whose move waits counts where it is going */
		if (!s)
			s = slb_bucket_slave(slb, i);

		cb->slave = SLB_NO_SLAVE;
		for (j = 0; s && j < slb->nslaves; j++)
			if (slb->slaves[j] == s)
				cb->slave = j;
		cb->load = slb->bucket[i].load;
		cb->moved_ever = slb->bucket[i].moved_ever;
		cb->last_move_ms = cb->moved_ever ?
			slb_age_ms(now, slb->bucket[i].moved) : 0;
	}
}

static struct slave *slb_bucket_planned(struct bond_slb *slb, unsigned int b)
{
	return rcu_dereference_protected(slb->tx[b].planned,
					 lockdep_is_held(&slb->lock));
}

/* Forget bucket b's waiting move, if any.  Under slb->lock. */
static void slb_move_cancel(struct bond_slb *slb, unsigned int b)
{
	if (slb_bucket_planned(slb, b)) {
		RCU_INIT_POINTER(slb->tx[b].planned, NULL);
		slb->moves_waiting--;
	}
}

/* A move is complete: tell the switch.  Under slb->lock. */
static void slb_move_finish(struct bond_slb *slb, unsigned int b)
{
	slb->bucket[b].nmoves++;
	set_bit(b, slb->announce_pending);
}

/* Move bucket b to 'to' now.  Under slb->lock. */
static void slb_move_now(struct bond_slb *slb, unsigned int b,
			 struct slave *to)
{
	struct slave *from = slb_bucket_slave(slb, b);

	slb_move_cancel(slb, b);
	if (from == to)
		return;
	bond_slb_rx_handover(slb, b, from);
	rcu_assign_pointer(slb->tx[b].slave, to);
	atomic64_inc(&to->slb.moves_in);
	if (from)
		atomic64_inc(&from->slb.moves_out);
	atomic64_inc(&slb->moves);
	slb_move_finish(slb, b);
}

/* Count buckets per slave from the pointers (a waiting move counts). */
static void slb_recount(struct bond_slb *slb)
{
	unsigned int n[SLB_MAX_SLAVES] = { 0 };
	unsigned int i, j;

	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slave *s = slb_bucket_planned(slb, i) ?: slb_bucket_slave(slb, i);

		for (j = 0; s && j < slb->nslaves; j++)
			if (slb->slaves[j] == s)
				n[j]++;
	}
	for (j = 0; j < slb->nslaves; j++)
		atomic_set(&slb->slaves[j]->slb.nbuckets, n[j]);
}

/*
 * Carry out moves planned on slb->core.  A planned move waits for a gap
 * in the bucket's traffic (see bond_slb_move_at_gap()); failover moves ('planned'
 * false) and all moves with slb_move_gap 0 happen now.  Under slb->lock.
 */
void bond_slb_moves_apply(struct bond_slb *slb, int n, bool planned)
{
	bool wait = planned && READ_ONCE(slb->bond->slb_params.move_gap);
	u64 now_ns = ktime_get_mono_fast_ns();
	unsigned long now = jiffies;
	int i;

	for (i = 0; i < n; i++) {
		const struct slb_move *mv = &slb->plan[i];
		struct slb_bucket *bk = &slb->bucket[mv->bucket];
		struct slave *to = slb->slaves[mv->to];

		if (slb_bucket_slave(slb, mv->bucket) == to) {
			slb_move_cancel(slb, mv->bucket);
			continue;
		}
		if (planned) {
			bk->moved = now;
			bk->moved_ever = true;
		}
		/* an unused bucket or a dead slave has nothing in flight */
		if (!wait || !slb_usable(slb_bucket_slave(slb, mv->bucket))) {
			slb_move_now(slb, mv->bucket, to);
			continue;
		}
		if (!slb_bucket_planned(slb, mv->bucket))
			slb->moves_waiting++;
		atomic64_set(&bk->last_tx_ns, now_ns);
		atomic64_set(&bk->move_since_ns, now_ns);
		/* publishes the times above to bond_slb_move_at_gap() */
		rcu_assign_pointer(slb->tx[mv->bucket].planned, to);
	}
	slb_recount(slb);
	if (n)
		bond_slb_announce_pending(slb);
}

/*
 * The work's side of a waiting move: has the bucket paused long enough,
 * and no frame stamped it since we looked?  (See "Reorder-free moves".)
 */
static bool slb_pause_take(const struct bonding *bond, struct slb_bucket *bk)
{
	s64 last = atomic64_read(&bk->last_tx_ns);

	if (!slb_move_due(bond, bk, ktime_get_mono_fast_ns(), last))
		return false;
	return last == SLB_PAUSE_TAKEN ||
		atomic64_try_cmpxchg(&bk->last_tx_ns, &last, SLB_PAUSE_TAKEN);
}

/*
 * The work's share of waiting moves: buckets the transmit path moved get
 * announced; idle buckets move here; moves to a slave that went away are
 * dropped.  Under slb->lock.
 */
void bond_slb_advance_moves(struct bond_slb *slb)
{
	unsigned long done[BITS_TO_LONGS(SLB_BUCKETS)];
	unsigned int b;

	for (b = 0; b < ARRAY_SIZE(done); b++)
		done[b] = xchg(&slb->move_done[b], 0);
	if (!slb->moves_waiting && bitmap_empty(done, SLB_BUCKETS))
		return;
	for (b = 0; b < SLB_BUCKETS; b++) {
		struct slb_bucket *bk = &slb->bucket[b];
		struct slave *to = slb_bucket_planned(slb, b);
		struct slave *cur = slb_bucket_slave(slb, b);

		if (!to) {
			if (test_bit(b, done))
				slb_move_finish(slb, b);
			continue;
		}
		if (cur != to) {
			if (!slb_usable(to)) {
				slb_move_cancel(slb, b);
				continue;
			}
			if (slb_usable(cur) && !slb_pause_take(slb->bond, bk))
				continue;
			if (!slb_move_switch(slb, b, cur, to))
				continue;
		}
		slb_move_cancel(slb, b);
		slb_move_finish(slb, b);
	}
	slb_recount(slb);
}

/*
 * The core works on absolute ms; we give it "now" as a large constant and
 * last moves as now - age, which keeps every value positive.
 */
#define SLB_CORE_NOW	BIT_ULL(40)

static void slb_core_set_move_times(struct bond_slb *slb)
{
	unsigned int i;

	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slb_core_bucket *cb = &slb->core.bucket[i];

		cb->last_move_ms = SLB_CORE_NOW - cb->last_move_ms;
	}
}

void bond_slb_rebalance(struct bond_slb *slb, int max_moves)
{
	int n;

	slb_snapshot(slb, jiffies);
	slb_core_set_move_times(slb);
	n = slb_rebalance(&slb->core, SLB_CORE_NOW, slb->plan, max_moves);
	bond_slb_moves_apply(slb, n, true);
}

/* Move every bucket of 'slave' to survivors and announce. */
void bond_slb_evacuate(struct bond_slb *slb, struct slave *slave)
{
	unsigned int i, idx;
	int n;

	for (idx = 0; idx < slb->nslaves; idx++)
		if (slb->slaves[idx] == slave)
			break;
	if (idx == slb->nslaves)
		return;
	/* waiting moves: none to the failed slave; away from it, now */
	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slave *to = slb_bucket_planned(slb, i);

		if (to == slave)
			slb_move_cancel(slb, i);
		else if (to && slb_bucket_slave(slb, i) == slave)
			slb_move_now(slb, i, to);
	}
	slb_snapshot(slb, jiffies);
	slb_core_set_move_times(slb);
	slb->core.slave[idx].usable = false;
	n = slb_evacuate(&slb->core, idx, SLB_CORE_NOW, slb->plan, SLB_BUCKETS);
	/* failover moves are forced: they do not start a cooldown */
	bond_slb_moves_apply(slb, n, false);
	/* no survivor: leave nothing pointing at the slave */
	for (i = 0; i < SLB_BUCKETS; i++)
		if (slb_bucket_slave(slb, i) == slave)
			RCU_INIT_POINTER(slb->tx[i].slave, NULL);
	slb_recount(slb);
}

bool bond_slb_sample(struct bond_slb *slb, unsigned long now)
{
	u32 span = slb_avg_span(READ_ONCE(slb->bond->slb_params.rebalance_interval));
	u64 *load = slb->sum_load, *place = slb->sum_place, total, rate;
	unsigned int i, j, elapsed;
	u64 sum = 0;

	elapsed = jiffies_to_msecs(now - slb->last_sample);
	if (!elapsed)
		return false;
	slb->last_sample = now;
	for (j = 0; j < slb->nslaves; j++) {
		load[j] = 0;
		place[j] = 0;
	}
	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slb_bucket *bk = &slb->bucket[i];
		struct slave *s;

		total = slb_bucket_bytes(slb, i);
		rate = div_u64((total - bk->bytes_seen) * 1000, elapsed);
		bk->bytes_seen = total;
		/* decisions: a slow average, its noise and silence (slb->core) */
		bk->load = slb_sample_bucket(&slb->core, i, bk->load, rate,
					     elapsed, span);
		/* expired for good, not again once jiffies wrap */
		if (bk->rx_prev && !slb_rx_grace(bk, now))
			WRITE_ONCE(bk->rx_prev, NULL);
		s = slb_bucket_slave(slb, i);
		for (j = 0; s && j < slb->nslaves; j++) {
			if (slb->slaves[j] == s) {
				load[j] += bk->load;
				place[j] += rate;	/* placement: this sample */
			}
		}
	}
	/* reports: the receive slave's, at its last sample's rate */
	total = slb_report_bytes(slb);
	rate = div_u64((total - slb->report_bytes_seen) * 1000, elapsed);
	slb->report_bytes_seen = total;
	slb->report_load = slb_avg(slb->report_load, rate, elapsed, span);
	for (j = 0; j < slb->nslaves; j++) {
		if (slb->slaves[j] == slb_report_slave(slb)) {
			load[j] += slb->report_load;
			place[j] += rate;
		}
	}
	for (j = 0; j < slb->nslaves; j++) {
		struct slave *s = slb->slaves[j];

		WRITE_ONCE(s->slb.load, load[j]);
		WRITE_ONCE(s->slb.util, slb_place_util(place[j], slb_slave_speed(s)));
		sum += load[j];
	}
	return slb_event_due(&slb->core, elapsed, sum);
}
