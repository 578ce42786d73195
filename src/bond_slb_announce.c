// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb announcements: after a bucket moved, each of its MACs is
 * announced on its new slave, on the MAC's own VLAN, so that the switch
 * moves the MAC to that port at once instead of at the VM's next frame.
 * A RARP, which nothing answers.  At most SLB_ANNOUNCE_RATE a second, so
 * that many VMs moving at once cannot flood the switch and its hosts with
 * broadcasts.
 */

#include <linux/if_arp.h>
#include <linux/kernel.h>
#include <net/arp.h>
#include <net/pkt_sched.h>

#include "bond_slb_priv.h"

/*
 * Tell the switch that MAC now lives behind 'slave': a RARP from it, as
 * QEMU sends after a live migration, a learning frame that nothing
 * answers.  Never a gratuitous ARP: a move changes the MAC's switch port,
 * not any address's MAC, and a GARP for the last address the VM used
 * would point peers back at it after that address moved on (a floating
 * IP: keepalived, Pacemaker) or was only claimed once by a hostile guest.
 */
static bool slb_announce_mac(struct slave *slave, u64 key)
{
	u16 vid = (key >> 48) & VLAN_VID_MASK;
	struct sk_buff *skb;
	u8 mac[ETH_ALEN];

	slb_key_to_mac(key, mac);
	skb = arp_create(ARPOP_RREQUEST, ETH_P_RARP, 0, slave->dev, 0, NULL,
			 mac, mac);
	if (!skb)
		return false;
	if (vid)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vid);
	skb->priority = TC_PRIO_CONTROL;
	dev_queue_xmit(skb);
	return true;
}

/*
 * Token bucket: SLB_ANNOUNCE_RATE a second, at most SLB_ANNOUNCE_BURST at
 * once.  The burst stays far below a slave's queue (txqueuelen and a
 * veth's input backlog are 1000; a driver's ring often 256): a thousand
 * frames queued in one go are partly dropped there, and a dropped
 * announcement is not sent again.  Every jiffy earns at least one token
 * (the rate is above HZ), so the fraction dropped per step is below one.
 */
static void slb_tokens_refill(struct bond_slb *slb, unsigned long now)
{
	unsigned long el;

	if (!time_after(now, slb->tokens_at))
		return;
	el = min_t(unsigned long, now - slb->tokens_at, HZ);
	slb->tokens = min_t(unsigned int, slb->tokens +
			    el * SLB_ANNOUNCE_RATE / HZ, SLB_ANNOUNCE_BURST);
	slb->tokens_at = now;
}

/*
 * Buckets that moved since the last step join the pass; one that moved
 * again while in it starts over, for its MACs now live on another slave.
 */
static void slb_pass_join(struct bond_slb *slb)
{
	unsigned int i, b;

	for (i = 0; i < BITS_TO_LONGS(SLB_BUCKETS); i++) {
		unsigned long bits = xchg(&slb->announce_pending[i], 0);

		for_each_set_bit(b, &bits, BITS_PER_LONG) {
			set_bit(i * BITS_PER_LONG + b, slb->ann.active);
			slb->ann.from[i * BITS_PER_LONG + b] = slb->ann.pos;
		}
	}
}

/*
 * Buckets whose MACs were all looked at (a whole turn of the table since
 * they joined) leave the pass; the rest keep their old slave's receive
 * grace going, since the switch may still send their unannounced MACs'
 * frames there.  Returns how many slots may be scanned before the next
 * bucket completes its turn.
 */
static unsigned int slb_pass_settle(struct bond_slb *slb, unsigned long now)
{
	unsigned int b, left = slb->nmacs;

	for_each_set_bit(b, slb->ann.active, SLB_BUCKETS) {
		u32 done = slb->ann.pos - slb->ann.from[b];

		if (READ_ONCE(slb->bucket[b].rx_prev))
			slb_rx_grace_from(&slb->bucket[b], now);
		if (done >= slb->nmacs)
			clear_bit(b, slb->ann.active);
		else
			left = min(left, slb->nmacs - done);
	}
	return left;
}

/* One slot under the cursor: announce it if its bucket is in the pass. */
static void slb_announce_slot(struct bond_slb *slb, struct slb_mac *m,
			      unsigned long now)
{
	struct slb_mac_snap snap;
	struct slave *slave;

	if (!bond_slb_mac_read(m, now, &snap) ||
	    !test_bit(snap.bucket, slb->ann.active))
		return;
	/* also used behind the switch: do not pull it over to us */
	if (slb_in_conflict(snap.conflict, now))
		return;
	slave = rcu_dereference(slb->tx[snap.bucket].slave);
	if (!slb_usable(slave))
		return;
	/*
	 * Stamp first: the switch may flood the announcement back to another
	 * slave, and receive on another CPU must see it as ours rather than
	 * as the VM migrating away.
	 */
	WRITE_ONCE(m->announced, now);
	smp_wmb();	/* the stamp before the frame */
	if (slb_announce_mac(slave, snap.key)) {
		slb->announces++;
		slb->tokens--;
	}
}

/*
 * The announcement pass: one cursor walks the MAC table round and round
 * while any bucket is in the pass, and announces each MAC of those
 * buckets on its bucket's current slave.  A bucket leaves after one whole
 * turn, so each of its MACs is announced once per move (twice if it moved
 * again meanwhile), however many MACs there are: when the tokens run out
 * the cursor stays where it is and the work goes on from there 50 ms
 * later.  Under slb->lock.
 */
void bond_slb_announce_pending(struct bond_slb *slb)
{
	unsigned int mask = slb->nmacs - 1, left;
	unsigned long now = jiffies;

	slb_tokens_refill(slb, now);
	slb_pass_join(slb);
	left = slb_pass_settle(slb, now);
	if (bitmap_empty(slb->ann.active, SLB_BUCKETS))
		return;
	rcu_read_lock();
	while (slb->tokens) {
		slb_announce_slot(slb, &slb->macs[slb->ann.pos & mask], now);
		slb->ann.pos++;
		if (!--left) {
			left = slb_pass_settle(slb, now);
			if (bitmap_empty(slb->ann.active, SLB_BUCKETS))
				break;
		}
	}
	rcu_read_unlock();
}

/*
 * Buckets waiting to be announced: in the pass, or moved since its last
 * step.  announce_pending is set by transmit with set_bit(): read word by
 * word, marked, as the atomic bit operations write it.  Without slb->lock
 * (the /proc reader), a glimpse.
 */
unsigned int bond_slb_announce_waiting(struct bond_slb *slb)
{
	unsigned int i, n = 0;

	for (i = 0; i < BITS_TO_LONGS(SLB_BUCKETS); i++)
		n += hweight_long(READ_ONCE(slb->ann.active[i]) |
				  READ_ONCE(slb->announce_pending[i]));
	return n;
}
