// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb: source-MAC load balancing for the bonding driver, for hosts
 * whose VMs share a bond to ordinary switches that know nothing of it.
 *
 * Transmit.  Every frame is placed by its source MAC and VLAN into one of
 * 256 buckets (a seeded hash, so that a guest cannot aim at one bucket); a
 * bucket belongs to one slave, so one VM always leaves through one link and
 * the switch learns it on one port.  A bucket that has no slave yet, or
 * whose slave failed, takes the least utilised one.  No frame is rewritten
 * but one kind: an IGMP/MLD report leaves through the receive slave (below)
 * with a slave's own MAC as source, so that a snooping switch sends the
 * group there and learns no VM on that port.
 *
 * Rebalancing.  A periodic work item measures each bucket's load once a
 * second.  Every slb_rebalance_interval it plans a few moves from the
 * busiest slave to less utilised ones, only when the gain is larger than
 * the measurement noise (bond_slb_core.c).  A moved bucket then waits for
 * a pause of slb_move_gap in its traffic, so that no frame overtakes one
 * still queued on the old link, and stays put for slb_move_cooldown.  Its
 * MACs are announced on the new slave (gratuitous ARP or RARP, per VLAN)
 * so that the switch follows at once.  A failed slave's buckets move to
 * the survivors at once, and are announced too.
 *
 * Receive.  Broadcast and multicast are accepted on one slave only, the
 * receive slave (primary if set), and unicast on the slave that its
 * destination's bucket transmits on: so a frame the switch floods arrives
 * once.  After a move or a change of receive slave the previous slave keeps
 * accepting for a short grace time, so that no only copy is lost.  Frames
 * of our own VMs that the switch floods back are dropped, unless they
 * cannot be reflections (another host uses that MAC).  Link-local frames
 * also reach each slave's own protocol handlers.
 *
 * Locking: the transmit and receive paths are lockless (RCU; per-CPU
 * counters).  Control paths (work item, slave and link events, options)
 * serialise on slb->lock, taken after RTNL when RTNL is held.
 */

#include <linux/if_arp.h>
#include <linux/kernel.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "bond_slb_priv.h"

/* Options of a new bond. */
struct bond_slb_params bond_slb_defaults = {
	.rebalance_interval = SLB_DEFAULT_INTERVAL_MS,
	.move_gap = SLB_DEFAULT_GAP_MS,
	.move_cooldown = SLB_DEFAULT_COOLDOWN_MS,
	.mac_table_size = SLB_MAC_SLOTS,
};

unsigned long bond_slb_period(const struct bonding *bond)
{
	u32 iv = bond->slb_params.rebalance_interval;

	return msecs_to_jiffies(iv && iv < SLB_SAMPLE_MS ? iv : SLB_SAMPLE_MS);
}

static void slb_work(struct work_struct *work)
{
	struct bond_slb *slb = container_of(work, struct bond_slb, work.work);
	struct bonding *bond = slb->bond;
	u32 iv = READ_ONCE(bond->slb_params.rebalance_interval);
	unsigned long now = jiffies, delay;
	bool failback, event = false;

	/*
	 * Only the receive slave needs RTNL (primary, igmp_retrans); link
	 * events choose it at once, so this is a fallback and may skip a
	 * turn when RTNL is busy.  The rest runs under slb->lock alone.
	 */
	if (rtnl_trylock()) {
		mutex_lock(&slb->lock);
		bond_slb_update_rx_slave(bond, slb);
		mutex_unlock(&slb->lock);
		rtnl_unlock();
	}
	mutex_lock(&slb->lock);
	if (time_after_eq(now, slb->last_sample + bond_slb_period(bond))) {
		event = bond_slb_sample(slb, now);
		bond_slb_src_recount_free(slb, now);
		bond_slb_queriers_expire(slb, now);
	}
	bond_slb_advance_moves(slb);
	bond_slb_rx_switch_close(slb, now);
	if (slb->queries_left) {
		slb->queries_left--;
		bond_slb_send_queries(slb);
	}
	bond_slb_lacp_expire(slb);
	/*
	 * One run per interval, and one soon after a big bucket came or went
	 * (slb_event_due()); after a slave came (back), one a second at least,
	 * whatever the interval, but not one per pass of the work, which runs
	 * every few ms while moves wait for their gap.
	 */
	failback = time_before(now, slb->failback_until);
	if (iv || failback) {
		unsigned long every = iv ? msecs_to_jiffies(iv) : HZ;

		if (failback)
			every = min_t(unsigned long, every, HZ);
		if (event || time_after_eq(now, slb->last_rebalance + every)) {
			slb->last_rebalance = now;
			bond_slb_rebalance(slb, SLB_MAX_MOVES_PER_RUN);
		}
	}
	bond_slb_announce_pending(slb);
	delay = bond_slb_period(bond);
	/* small steps: SLB_ANNOUNCE_BURST is the most one step may send */
	if (bond_slb_announce_waiting(slb))
		delay = min_t(unsigned long, delay, HZ / 20);
	if (slb->rx_switch_from)
		delay = min_t(unsigned long, delay,
			      2 * msecs_to_jiffies(SLB_RX_SWITCH_MS) + 1);
	/* idle buckets move as soon as their gap has passed */
	if (slb->moves_waiting)
		delay = min_t(unsigned long, delay,
			      msecs_to_jiffies(bond->slb_params.move_gap / 2) ?: 1);
	mutex_unlock(&slb->lock);

	queue_delayed_work(bond->wq, &slb->work, delay);
}

void bond_slb_setup(struct bonding *bond)
{
	RCU_INIT_POINTER(bond->slb, NULL);
	bond->slb_params = bond_slb_defaults;
}

static void slb_free(struct bond_slb *slb)
{
	free_percpu(slb->pcpu);
	kvfree(slb->macs);
	kvfree(slb);
}

int bond_slb_open(struct bonding *bond)
{
	struct list_head *iter;
	struct bond_slb *slb;
	struct slave *slave;

	/* about 30 KB: not worth an order-3 page block */
	slb = kvzalloc_obj(*slb, GFP_KERNEL);
	if (!slb)
		return -ENOMEM;
	slb->pcpu = netdev_alloc_pcpu_stats(struct slb_pcpu);
	slb->nmacs = bond->slb_params.mac_table_size;
	slb->src_limit = max(slb->nmacs / SLB_SRC_SHARE, SLB_SRC_MIN_SHARE);
	slb->macs = kvcalloc(slb->nmacs, sizeof(*slb->macs), GFP_KERNEL);
	if (!slb->pcpu || !slb->macs) {
		slb_free(slb);
		return -ENOMEM;
	}
	slb->bond = bond;
	slb->seed = get_random_u64();
	mutex_init(&slb->lock);
	spin_lock_init(&slb->querier_lock);
	INIT_DELAYED_WORK(&slb->work, slb_work);
	slb->last_sample = jiffies;
	slb->last_rebalance = jiffies;
	slb->tokens = SLB_ANNOUNCE_BURST;
	slb->tokens_at = jiffies;
	slb->rx_check_until = jiffies;

	bond_for_each_slave(bond, slave, iter) {
		atomic_set(&slave->slb.nbuckets, 0);
		WRITE_ONCE(slave->slb.util, 0);
		if (slb->nslaves < SLB_MAX_SLAVES)
			slb->slaves[slb->nslaves++] = slave;
	}
	mutex_lock(&slb->lock);
	bond_slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);

	rcu_assign_pointer(bond->slb, slb);
	WRITE_ONCE(bond->recv_probe, bond_slb_recv);
	queue_delayed_work(bond->wq, &slb->work, bond_slb_period(bond));
	return 0;
}

void bond_slb_close(struct bonding *bond)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);
	struct list_head *iter;
	struct slave *slave, *rx;

	if (!slb)
		return;
	/*
	 * Until the bond is down, bonding's receive path delivers broadcasts
	 * from every active slave: leave only the receive slave active, or a
	 * VM behind the bond gets them twice.  bond_open() reactivates all.
	 */
	rx = rtnl_dereference(slb->rx_slave);
	bond_for_each_slave(bond, slave, iter)
		if (slave != rx)
			slave->inactive = 1;
	RCU_INIT_POINTER(bond->slb, NULL);
	/* no transmit, receive or /proc reader may still see it ... */
	synchronize_net();
	/* ... so nothing can queue the work again */
	cancel_delayed_work_sync(&slb->work);
	slb_free(slb);
}

/* bond_enslave(): a slave beyond SLB_MAX_SLAVES is refused, not ignored. */
int bond_slb_can_enslave(struct bonding *bond, struct net_device *slave_dev,
			 struct netlink_ext_ack *extack)
{
	struct list_head *iter;
	struct slave *slave;
	unsigned int n = 0;

	/* MACs, VLAN tags, ARP and RARP announcements: Ethernet only */
	if (slave_dev->type != ARPHRD_ETHER) {
		NL_SET_ERR_MSG(extack, "balance-slb needs Ethernet slaves");
		slave_err(bond->dev, slave_dev, "balance-slb needs Ethernet slaves\n");
		return -EINVAL;
	}
	bond_for_each_slave(bond, slave, iter)
		n++;
	if (n < SLB_MAX_SLAVES)
		return 0;
	NL_SET_ERR_MSG(extack, "balance-slb supports at most 64 slaves");
	slave_err(bond->dev, slave_dev, "balance-slb supports at most %d slaves\n",
		  SLB_MAX_SLAVES);
	return -EBUSY;
}

/* The lowest id no other slave has: tags the broadcasts it receives. */
static void slb_rx_id_assign(struct bonding *bond, struct slave *slave)
{
	DECLARE_BITMAP(used, 1 << 8) = {};
	struct list_head *iter;
	struct slave *other;

	__set_bit(0, used);	/* never an id: an empty stamp */
	bond_for_each_slave(bond, other, iter)
		if (other != slave)
			__set_bit(other->slb.rx_id, used);
	/*
	 * bond_slb_can_enslave() allows far fewer slaves than ids.  The
	 * receive path may already read it (0 until then: no twin is seen)
	 */
	WRITE_ONCE(slave->slb.rx_id, find_first_zero_bit(used, 1 << 8));
}

void bond_slb_slave_added(struct bonding *bond, struct slave *slave)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);

	/* slave->slb is zero: bond_alloc_slave() zeroes the whole slave */
	slb_rx_id_assign(bond, slave);
	if (!slb)
		return;
	mutex_lock(&slb->lock);
	/* bond_slb_can_enslave() keeps the count in range */
	if (!WARN_ON_ONCE(slb->nslaves >= SLB_MAX_SLAVES)) {
		slb->slaves[slb->nslaves++] = slave;
		/* new capacity: take load soon, whatever the interval */
		slb->failback_until = jiffies + msecs_to_jiffies(SLB_FAILBACK_MS);
	}
	bond_slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);
}

void bond_slb_slave_removing(struct bonding *bond, struct slave *slave)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);
	unsigned int i;

	if (!slb)
		return;
	WRITE_ONCE(slave->slb.leaving, true);
	/* before reading the buckets: pairs with bond_slb_kept_unless_leaving() */
	smp_mb();
	mutex_lock(&slb->lock);
	bond_slb_evacuate(slb, slave);
	for (i = 0; i < slb->nslaves; i++) {
		if (slb->slaves[i] == slave) {
			slb->slaves[i] = slb->slaves[--slb->nslaves];
			break;
		}
	}
	/* a slave enslaved later may get the same address */
	if (slb->rx_switch_from == slave)
		WRITE_ONCE(slb->rx_switch_from, NULL);
	for (i = 0; i < SLB_BUCKETS; i++)
		if (READ_ONCE(slb->bucket[i].rx_prev) == slave)
			WRITE_ONCE(slb->bucket[i].rx_prev, NULL);
	bond_slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);
}

/*
 * bond_select_active_slave(): primary or a slave's state changed, so the
 * receive slave may change now (as the active slave does in
 * active-backup), not only at the work's next run.  Under RTNL.
 */
void bond_slb_reselect(struct bonding *bond)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);

	if (!slb)
		return;
	mutex_lock(&slb->lock);
	bond_slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);
}

void bond_slb_link_change(struct bonding *bond, struct slave *slave, char link)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);

	if (!slb)
		return;
	mutex_lock(&slb->lock);
	if (link == BOND_LINK_UP)
		slb->failback_until = jiffies + msecs_to_jiffies(SLB_FAILBACK_MS);
	else
		bond_slb_evacuate(slb, slave);
	bond_slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);
	if (link == BOND_LINK_UP)
		mod_delayed_work(bond->wq, &slb->work, 0);
}

/*
 * A slave's carrier or admin state changed (netdev notifier, under RTNL).
 * Losing it moves the slave's buckets and the broadcast receive slave at
 * once rather than at the next miimon tick, unless downdelay asks to wait.
 * Regaining it waits for miimon and updelay as usual.
 */
void bond_slb_carrier_event(struct bonding *bond, struct slave *slave)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);

	if (!slb || bond->params.downdelay || slb_usable(slave))
		return;
	mutex_lock(&slb->lock);
	bond_slb_evacuate(slb, slave);
	bond_slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);
}
