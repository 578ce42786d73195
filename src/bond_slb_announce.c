// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb announcements: after a bucket moved, each of its MACs is
 * announced on its new slave, on the MAC's own VLAN, so that the switch
 * moves the MAC to that port at once instead of at the VM's next frame.
 * A gratuitous ARP when the MAC's IPv4 address is known (it also refreshes
 * peers' ARP caches), else a RARP, which nothing answers.  At most
 * SLB_ANNOUNCE_BURST a second, so that many VMs moving at once cannot
 * flood the switch.
 */

#include <linux/if_arp.h>
#include <linux/kernel.h>
#include <net/arp.h>
#include <net/pkt_sched.h>

#include "bond_slb_priv.h"

/*
 * Tell the switch that MAC now lives behind 'slave': a gratuitous ARP
 * when its IPv4 address is known (also refreshes peers' ARP caches),
 * otherwise a RARP, as a learning frame that nothing answers.
 */
static bool slb_announce_mac(struct slave *slave, u64 key, __be32 ip)
{
	u16 vid = (key >> 48) & VLAN_VID_MASK;
	struct sk_buff *skb;
	u8 mac[ETH_ALEN];

	slb_key_to_mac(key, mac);
	if (ip)
		skb = arp_create(ARPOP_REQUEST, ETH_P_ARP, ip, slave->dev, ip,
				 NULL, mac, NULL);
	else
		skb = arp_create(ARPOP_RREQUEST, ETH_P_RARP, 0, slave->dev, 0,
				 NULL, mac, mac);
	if (!skb)
		return false;
	if (vid)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vid);
	skb->priority = TC_PRIO_CONTROL;
	dev_queue_xmit(skb);
	return true;
}

static void slb_pending_restore(struct bond_slb *slb, unsigned int i,
				unsigned long bits)
{
	atomic_long_or(bits, (atomic_long_t *)&slb->announce_pending[i]);
}

/*
 * Announce the MACs of the pending buckets on their current slaves.  The
 * pending bits are taken atomically, as the transmit path may set more
 * meanwhile; what the rate limit leaves unsent is put back.
 */
void bond_slb_announce_pending(struct bond_slb *slb)
{
	unsigned long todo[BITS_TO_LONGS(SLB_BUCKETS)];
	unsigned long now = jiffies;
	unsigned int i, b;

	/* token bucket: SLB_ANNOUNCE_BURST per second */
	if (time_after(now, slb->tokens_at + HZ)) {
		slb->tokens = SLB_ANNOUNCE_BURST;
		slb->tokens_at = now;
	}
	for (i = 0; i < ARRAY_SIZE(todo); i++)
		todo[i] = xchg(&slb->announce_pending[i], 0);
	if (bitmap_empty(todo, SLB_BUCKETS))
		return;
	rcu_read_lock();
	for (i = 0; i < slb->nmacs && slb->tokens; i++) {
		struct slb_mac *m = &slb->macs[i];
		struct slb_mac_snap snap;
		struct slave *slave;

		if (!bond_slb_mac_read(m, now, &snap) || !test_bit(snap.bucket, todo))
			continue;
		/* also used behind the switch: do not pull it over to us */
		if (slb_in_conflict(snap.conflict, now))
			continue;
		slave = rcu_dereference(slb->tx[snap.bucket].slave);
		if (!slb_usable(slave))
			continue;
		/*
		 * Stamp first: the switch may flood the announcement back to
		 * another slave, and receive on another CPU must see it as ours
		 * rather than as the VM migrating away.
		 */
		WRITE_ONCE(m->announced, now);
		smp_wmb();	/* the stamp before the frame */
		if (slb_announce_mac(slave, snap.key, snap.ip)) {
			slb->announces++;
			slb->tokens--;
		}
	}
	rcu_read_unlock();
	/* the switch moves the MACs now: the old slave's grace starts again */
	for_each_set_bit(b, todo, SLB_BUCKETS)
		if (READ_ONCE(slb->bucket[b].rx_prev))
			slb_rx_grace_from(&slb->bucket[b], now);
	if (i < slb->nmacs) {
		/* out of tokens: the rest next time (some twice, harmless) */
		for (i = 0; i < ARRAY_SIZE(todo); i++)
			if (todo[i])
				slb_pending_restore(slb, i, todo[i]);
	}
}
