// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb receive: which slave accepts what, so that every frame
 * reaches the host once and no only copy is lost.
 *
 * - Broadcast and multicast: the receive slave only (primary if usable).
 *   Around a change, a second copy of a frame is recognised by the stamp
 *   the first left.  Link-local frames on other slaves still reach that
 *   slave's own protocol handlers (bond_slb_deliver_exact()).
 * - Unicast: the slave its destination's bucket transmits on, which is
 *   where the switch learned the MAC; after a move the old slave accepts
 *   for SLB_RX_GRACE_MS more.  Without a transmitting bucket, the receive
 *   slave takes it.
 * - The loop filter: a frame from a MAC we transmit is our own, flooded
 *   back by the switch, and dropped, unless it cannot be a reflection
 *   (slb_rx_mac_used_elsewhere()): then the MAC is in conflict and passes.
 * - A VM's own announcement from the switch side, long after ours, means
 *   it now lives behind the switch (a live migration away).
 */

#include <linux/if_arp.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/rtnetlink.h>
#include <linux/workqueue.h>

#include "bond_slb_priv.h"

static struct slb_mac *slb_mac_find(struct bond_slb *slb, u64 key, u64 h)
{
	unsigned int i, mask = slb->nmacs - 1, start = (h >> 8) & mask;

	for (i = 0; i < SLB_MAC_PROBES; i++) {
		struct slb_mac *m = &slb->macs[(start + i) & mask];

		u64 k = READ_ONCE(m->key);

		if (k == key)
			return m;
		if (!k)
			break;	/* never used: the key is not further on */
	}
	return NULL;
}

/*
 * The slave that accepts broadcast/multicast now.  Between the receive
 * slave losing carrier and the control path choosing another, the first
 * usable slave stands in (the one the control path falls back to), so
 * nothing is lost meanwhile and still only one slave accepts.
 */
struct slave *bond_slb_rx_slave_now(struct bonding *bond,
				    struct bond_slb *slb)
{
	struct slave *rx = rcu_dereference(slb->rx_slave), *slave;
	struct list_head *iter;

	if (likely(slb_usable(rx)))
		return rx;
	bond_for_each_slave_rcu(bond, slave, iter)
		if (slb_usable(slave))
			return slave;
	return NULL;
}

/*
 * Receive slave changes without a lost or a doubled frame.  The switch
 * floods a broadcast to every slave at about the same moment, and the
 * copies are passed up independently, on one CPU or several; a change that
 * falls between two copies would otherwise let both in or neither.
 *
 * So every broadcast/multicast frame passed up leaves a stamp in a small
 * ring of the CPU that passed it: a fingerprint (headers, length and first
 * bytes, hashed with the bond's seed), the slave's rx_id and the time.
 * Each CPU writes only its own ring.  Around a change (for
 * 2 * SLB_RX_SWITCH_MS) and while a stand-in receives for a receive slave
 * that lost its link, a frame is passed up only if no ring holds its
 * fingerprint from another slave in that time: the second copy is dropped,
 * whichever slave it comes in on and whichever copy comes first, also
 * when the first was passed up before anyone knew of the change (the only
 * way to see it is to have stamped it then).  A frame repeated on the same
 * slave is a new frame.  A twin that arrives after SLB_RX_RECENT other
 * broadcasts passed up on the same CPU is not recognised.
 */
#define SLB_RX_SEEN_BYTES	64
#define SLB_RX_WINDOW		(2 * msecs_to_jiffies(SLB_RX_SWITCH_MS))

/* fingerprint (32 bits), slave (8), jiffies (24: the window is far shorter) */
static u64 slb_rx_stamp(const struct bond_slb *slb, const struct slave *slave,
			const struct sk_buff *skb, u16 vid, unsigned long now)
{
	u8 buf[SLB_RX_SEEN_BYTES];
	unsigned int n = min_t(unsigned int, skb->len, sizeof(buf));
	const void *p = skb_header_pointer(skb, 0, n, buf);
	u32 h = jhash(eth_hdr(skb), ETH_HLEN, (u32)slb->seed);

	if (p)
		h = jhash(p, n, h);
	h = jhash_2words(skb->len, vid, h);
	return (u64)h << 32 | (u64)READ_ONCE(slave->slb.rx_id) << 24 |
	       (now & 0xffffff);
}

/* True if another slave passed the same frame up lately, on any CPU. */
static bool slb_rx_twin_seen(const struct bond_slb *slb, u64 mine,
			     unsigned long now)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct slb_pcpu *p = per_cpu_ptr(slb->pcpu, cpu);

		for (i = 0; i < SLB_RX_RECENT; i++) {
			u64 e = READ_ONCE(p->rx_recent[i]);

			if (e >> 32 == mine >> 32 &&
			    (u8)(e >> 24) != (u8)(mine >> 24) &&
			    ((now - (unsigned long)e) & 0xffffff) <= SLB_RX_WINDOW)
				return true;
		}
	}
	return false;
}

/* Whether 'slave' passes broadcast/multicast up now. */
static bool slb_rx_mcast_here(struct bonding *bond, struct bond_slb *slb,
			      struct slave *slave, const struct sk_buff *skb,
			      u16 vid, unsigned long now)
{
	struct slave *rx = rcu_dereference(slb->rx_slave);
	struct slb_pcpu *p;
	unsigned long until;
	bool check;
	u64 mine;

	if (likely(slave == rx && slb_usable(rx))) {
		until = READ_ONCE(slb->rx_check_until);
		check = time_in_range_open(now, until - SLB_RX_WINDOW - 1, until);
	} else {
		struct slave *from = READ_ONCE(slb->rx_switch_from);

		/*
		 * bonding drops what an inactive slave passes (released), so
		 * it must not stamp it.  Read unlocked, as bond_handle_frame()
		 * reads it: only a release landing between the two reads
		 * could cost that one frame.
		 */
		if (data_race(bond_is_slave_inactive(slave)))
			return false;
		if (slave != rx && slave != bond_slb_rx_slave_now(bond, slb)) {
			if (likely(slave != from))
				return false;
			smp_rmb();	/* the window before its slave (slb_rx_switch_open) */
			if (!time_before(now, READ_ONCE(slb->rx_switch_until)))
				return false;
		}
		/*
		 * A stand-in, the old slave's last copies, or those the receive
		 * slave still passes after losing its link (their twins may
		 * have come in on the stand-in first): check, from now on.
		 */
		until = now + SLB_RX_WINDOW;
		if (READ_ONCE(slb->rx_check_until) != until)
			WRITE_ONCE(slb->rx_check_until, until);
		check = true;
	}
	mine = slb_rx_stamp(slb, slave, skb, vid, now);
	if (unlikely(check) && slb_rx_twin_seen(slb, mine, now)) {
		slb_count(slb, SLB_CNT_MCAST_DUPS);
		return false;
	}
	/* softirq: this CPU's ring has no other writer */
	p = this_cpu_ptr(slb->pcpu);
	WRITE_ONCE(p->rx_recent[p->rx_recent_next++ % SLB_RX_RECENT], mine);
	return true;
}

/*
 * Open the window of slb_rx_mcast_here() for a change away from 'from',
 * which still receives: it keeps accepting for SLB_RX_SWITCH_MS.  Readers
 * that may still see no window are waited for, so that every reader that
 * sees the new receive slave also checks.  A change away from a slave
 * that lost its link or is leaving needs no wait: its stand-in has been
 * checking since then.
 */
static void slb_rx_switch_open(struct bond_slb *slb, struct slave *from)
{
	WRITE_ONCE(slb->rx_switch_until,
		   jiffies + msecs_to_jiffies(SLB_RX_SWITCH_MS));
	WRITE_ONCE(slb->rx_check_until, jiffies + SLB_RX_WINDOW);
	smp_wmb();	/* the window before its slave (slb_rx_mcast_here) */
	WRITE_ONCE(slb->rx_switch_from, from);
	synchronize_net();
}

/* The work: close the window once no copy can be checked against it. */
void bond_slb_rx_switch_close(struct bond_slb *slb, unsigned long now)
{
	if (slb->rx_switch_from &&
	    time_after_eq(now, slb->rx_switch_until +
			  msecs_to_jiffies(SLB_RX_SWITCH_MS)))
		WRITE_ONCE(slb->rx_switch_from, NULL);
}

/*
 * Broadcast/multicast receive slave: primary if usable, else keep, else
 * first.  Under RTNL (the primary option and bond->igmp_retrans are RTNL's)
 * and slb->lock.
 */
void bond_slb_update_rx_slave(struct bonding *bond, struct bond_slb *slb)
{
	struct slave *cur, *pick = NULL, *slave;
	struct list_head *iter;
	unsigned int i;

	ASSERT_RTNL();
	cur = rcu_dereference_protected(slb->rx_slave, lockdep_is_held(&slb->lock));
	for (i = 0; i < slb->nslaves; i++) {
		slave = slb->slaves[i];
		if (bond->params.primary[0] && slb_usable(slave) &&
		    !strcmp(slave->dev->name, bond->params.primary))
			pick = slave;
	}
	if (!pick && cur && slb_usable(cur))
		pick = cur;
	if (!pick) {
		rcu_read_lock();
		bond_for_each_slave_rcu(bond, slave, iter) {
			if (slb_usable(slave)) {
				pick = slave;
				break;
			}
		}
		rcu_read_unlock();
	}
	bond_slb_set_report_mac(bond, slb);
	if (pick == cur)
		return;
	/*
	 * Also away from a slave that just lost its link: copies it took in
	 * before that may still be passed up, and their twins arrive on the
	 * new slave.  Not from one being released, which the window must not
	 * outlive.
	 */
	if (pick && cur) {
		if (slb_usable(cur))
			slb_rx_switch_open(slb, cur);
		else
			WRITE_ONCE(slb->rx_check_until, jiffies + SLB_RX_WINDOW);
	}
	rcu_assign_pointer(slb->rx_slave, pick);
	if (pick) {
		netdev_info(bond->dev, "balance-slb: receiving broadcast/multicast on %s\n",
			    pick->dev->name);
		/* let multicast routers and snooping switches follow */
		bond->igmp_retrans = bond->params.resend_igmp;
		queue_delayed_work(bond->wq, &bond->mcast_work, 1);
		/*
		 * The first receive slave has nothing to take over: the VMs'
		 * reports go there anyway, and a query now would race a host
		 * bridge that is just starting to query.
		 */
		if (slb->rx_ever)
			slb->queries_left = SLB_QUERY_REPEAT;
		slb->rx_ever = true;
		mod_delayed_work(bond->wq, &slb->work, 0);
	}
}

/* The work: forget the LACP flag of slaves whose LACPDUs stopped. */
void bond_slb_lacp_expire(struct bond_slb *slb)
{
	unsigned int i;

	for (i = 0; i < slb->nslaves; i++) {
		struct slave *s = slb->slaves[i];

		if (test_bit(SLB_SLAVE_LACP, &s->slb.flags) &&
		    time_after(jiffies, READ_ONCE(s->slb.lacp_until))) {
			clear_bit(SLB_SLAVE_LACP, &s->slb.flags);
			slave_info(slb->bond->dev, s->dev,
				   "balance-slb: no more LACPDUs\n");
		}
	}
}

/*
 * A slave that receives LACPDUs is cabled to a switch port in a LAG/LACP
 * group: the switch then spreads our VMs' traffic over the group as it
 * likes and SLB silently breaks.  Say so once per slave, loudly; keep
 * handling frames.  The flag lasts three LACPDU periods (fast or slow, as
 * the partner announces), then the work clears it.
 */
static void slb_lacp_seen(struct bonding *bond, struct slave *slave,
			  const struct sk_buff *skb)
{
	u8 _buf[SLB_LACP_STATE_OFF + 1];
	const u8 *pdu;
	unsigned int period;

	pdu = skb_header_pointer(skb, 0, sizeof(_buf), _buf);
	if (!pdu || pdu[0] != SLB_LACP_SUBTYPE)
		return;
	period = pdu[SLB_LACP_STATE_OFF] & SLB_LACP_SHORT_TIMEOUT ? 1 : 30;
	WRITE_ONCE(slave->slb.lacp_until, jiffies + 3 * period * HZ + HZ);
	if (!test_and_set_bit(SLB_SLAVE_LACP, &slave->slb.flags))
		slave_warn(bond->dev, slave->dev,
			   "balance-slb: receiving LACPDUs, so its switch port is in a LAG/LACP group (port-channel); balance-slb needs plain, independent switch ports: remove the port from the group on the switch\n");
}

/*
 * Nobody transmits in bucket b: the first slave a unicast frame for it
 * arrives on takes it.  The switch sends the frame there because it knows
 * the destination on that port (a VM that has not spoken since the bond
 * came up, or whose entry the table forgot), or it floods it to every
 * port, and then the cmpxchg lets exactly one copy in.  Our frames of that
 * bucket then leave where the switch already expects them.
 */
static noinline bool slb_rx_claim(struct bond_slb *slb, unsigned int b,
				  struct slave *slave)
{
	struct slave *cur;

	if (!slb_usable(slave))
		return false;
	cur = unrcu_pointer(cmpxchg(&slb->tx[b].slave, NULL,
				    RCU_INITIALIZER(slave)));
	if (cur)
		return cur == slave;
	/* released meanwhile: the bucket is free again, this copy passes */
	if (bond_slb_kept_unless_leaving(slb, b, slave, NULL))
		atomic_inc(&slave->slb.nbuckets);
	return true;
}

/*
 * Unicast is accepted on one slave only, or a frame the switch floods (for
 * a MAC it has not learned, or has aged out, or with learning off) would
 * reach a VM once per slave.  That slave is the one the destination's
 * bucket transmits on: where the switch learns the MAC, and which a flooded
 * copy reaches too, so no only copy is lost.  A bucket nobody transmits in
 * is taken by the slave its first frame arrives on (slb_rx_claim()).
 * After a move the old slave keeps accepting for SLB_RX_GRACE_MS after the
 * move and after the announcement, while the switch may still send there.
 */
static bool slb_rx_unicast_here(struct bonding *bond, struct bond_slb *slb,
				struct slave *slave, const u8 *dest, u16 vid,
				unsigned long now)
{
	u64 h = slb_hash(slb, slb_mac_vlan_key(dest, vid));
	unsigned int b = h & (SLB_BUCKETS - 1);
	const struct slb_bucket *bk = &slb->bucket[b];
	struct slave *cur = rcu_dereference(slb->tx[b].slave);

	if (likely(cur == slave))
		return true;
	smp_rmb();	/* the slave before its predecessor (bond_slb_rx_handover) */
	if (READ_ONCE(bk->rx_prev) == slave && slb_rx_grace(bk, now))
		return true;
	if (unlikely(!cur))
		return slb_rx_claim(slb, b, slave);
	if (slave != bond_slb_rx_slave_now(bond, slb))
		return false;
	/* the source of our reports and queries is learned there */
	return !slb_usable(cur) ||
		slb_mac_vlan_key(dest, 0) == READ_ONCE(slb->report_mac);
}

/*
 * A frame from a MAC we transmit that cannot be a reflection of our own:
 * it arrived on the very slave that MAC leaves from (a switch never sends a
 * frame back out of its ingress port), or it is unicast to one of our MACs
 * (the host bridge delivers those itself), or that MAC has neither sent
 * nor been announced here for SLB_SILENT_MS (a switch keeps no frame that
 * long; the last-seen stamp lags by at most SLB_SEEN_STAMP_MS).
 * Another host uses the MAC: a guest spoofing it, or a VM gone elsewhere
 * without announcing itself.
 */
static bool slb_rx_mac_used_elsewhere(struct bond_slb *slb,
				      struct slave *slave,
				      const struct ethhdr *eth, u16 vid,
				      const struct slb_mac_snap *snap,
				      unsigned long now)
{
	const struct slb_bucket *bk = &slb->bucket[snap->bucket];
	struct slb_mac_snap dst;
	struct slb_mac *d;
	u64 key;

	if (rcu_access_pointer(slb->tx[snap->bucket].slave) == slave &&
	    !slb_rx_grace(bk, now))
		return true;
	if (time_after(now, snap->seen + msecs_to_jiffies(SLB_SILENT_MS)) &&
	    time_after(now, snap->announced + msecs_to_jiffies(SLB_SILENT_MS)))
		return true;
	if (is_multicast_ether_addr(eth->h_dest))
		return false;
	key = slb_mac_vlan_key(eth->h_dest, vid);
	d = slb_mac_find(slb, key, slb_hash(slb, key));
	return d && bond_slb_mac_read(d, now, &dst) && dst.key == key;
}

/*
 * Frames from MAC m pass while it is in conflict.  The mark is refreshed at
 * most once a second, so an outside host's stream does not write the slot
 * per frame; a new conflict is counted and logged once.
 */
static void slb_mark_conflict(struct bonding *bond, struct bond_slb *slb,
			      struct slb_mac *m, const struct slb_mac_snap *snap,
			      unsigned long now)
{
	u8 mac[ETH_ALEN];

	if (snap->conflict && time_before(now, snap->conflict + HZ))
		return;
	/* frames on two slaves race here: the one that moves the stamp counts */
	if (cmpxchg(&m->conflict, snap->conflict, now ?: 1) != snap->conflict ||
	    slb_in_conflict(snap->conflict, now))
		return;
	slb_count(slb, SLB_CNT_CONFLICTS);
	slb_key_to_mac(snap->key, mac);
	net_warn_ratelimited("%s: balance-slb: %pM (VLAN %llu) is sent from here and from behind the switch: a guest uses another host's MAC, or a VM left without announcing itself; its frames are no longer filtered as looped back for %u s\n",
			     bond->dev->name, mac, snap->key >> 48,
			     SLB_CONFLICT_MS / 1000);
}

/*
 * A copy this slave drops (a broadcast off the receive slave, a unicast
 * off its destination's slave) may still prove that another host uses
 * one of our MACs: it came in on the very slave that MAC is sent from,
 * which a reflection never does.  The copy the filter keeps (on another
 * slave, often first) then passes as in conflict rather than being taken
 * for a reflection, as when a guest spoofs the outside host that sends to
 * a VM of ours that has been silent for long: only the switch's flooding
 * reaches both.  Out of line: copies dropped, not the frames passed.
 */
static noinline void slb_rx_dropped_copy(struct bonding *bond,
					 struct bond_slb *slb,
					 struct slave *slave,
					 const struct ethhdr *eth, u16 vid,
					 unsigned long now)
{
	u64 key = slb_mac_vlan_key(eth->h_source, vid);
	struct slb_mac_snap snap;
	struct slb_mac *m;

	m = slb_mac_find(slb, key, slb_hash(slb, key));
	if (!m || !bond_slb_mac_read(m, now, &snap) || snap.key != key)
		return;
	if (rcu_access_pointer(slb->tx[snap.bucket].slave) == slave &&
	    !slb_rx_grace(&slb->bucket[snap.bucket], now))
		slb_mark_conflict(bond, slb, m, &snap, now);
}

/* All-hosts groups, where general queries go. */
static bool slb_is_query_dest(const u8 *dest)
{
	static const u8 v4[ETH_ALEN] __aligned(2) = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const u8 v6[ETH_ALEN] __aligned(2) = { 0x33, 0x33, 0, 0, 0, 1 };

	return ether_addr_equal(dest, v4) || ether_addr_equal(dest, v6);
}

/* bond->recv_probe: runs for every frame a slave receives, under RCU. */
int bond_slb_recv(const struct sk_buff *skb, struct bonding *bond,
		  struct slave *slave)
{
	struct bond_slb *slb = rcu_dereference(bond->slb);
	const struct ethhdr *eth = eth_hdr(skb);
	unsigned long now = jiffies;
	struct slb_mac_snap snap;
	struct slb_mac *m;
	u64 key;
	u16 vid;

	if (unlikely(!slb))
		return RX_HANDLER_ANOTHER;

	if (unlikely(skb->protocol == htons(ETH_P_SLOW)))
		slb_lacp_seen(bond, slave, skb);

	vid = skb_vlan_tag_present(skb) ? skb_vlan_tag_get_id(skb) : 0;
	if (is_multicast_ether_addr(eth->h_dest)) {
		if (!slb_rx_mcast_here(bond, slb, slave, skb, vid, now)) {
			/* LLDP, 802.1X...: bond_slb_deliver_exact() */
			if (unlikely(is_link_local_ether_addr(eth->h_dest)))
				return RX_HANDLER_ANOTHER;
			slb_rx_dropped_copy(bond, slb, slave, eth, vid, now);
			slb_count(slb, SLB_CNT_MCAST_DROPPED);
			return RX_HANDLER_CONSUMED;
		}
	} else if (!slb_rx_unicast_here(bond, slb, slave, eth->h_dest, vid,
					now)) {
		slb_rx_dropped_copy(bond, slb, slave, eth, vid, now);
		slb_count(slb, SLB_CNT_FLOOD_DROPPED);
		return RX_HANDLER_CONSUMED;
	}

	key = slb_mac_vlan_key(eth->h_source, vid);
	m = slb_mac_find(slb, key, slb_hash(slb, key));
	if (!m || !bond_slb_mac_read(m, now, &snap) || snap.key != key) {
		if (unlikely(is_multicast_ether_addr(eth->h_dest)) &&
		    slb_is_query_dest(eth->h_dest))
			bond_slb_rx_query(slb, skb, vid);
		return RX_HANDLER_ANOTHER;
	}

	if (bond_slb_arp_announces(skb, skb->protocol, 0, key) &&
	    time_after(now, snap.announced +
				   msecs_to_jiffies(SLB_GARP_LOCK_MS))) {
		/* the VM now lives behind the switch (live migration) */
		if (cmpxchg64(&m->key, key, SLB_KEY_DEAD) == key)
			slb_count(slb, SLB_CNT_MIGRATIONS);
		return RX_HANDLER_ANOTHER;
	}
	if (slb_in_conflict(snap.conflict, now) ||
	    slb_rx_mac_used_elsewhere(slb, slave, eth, vid, &snap, now)) {
		slb_mark_conflict(bond, slb, m, &snap, now);
		return RX_HANDLER_ANOTHER;
	}
	/* one of our own frames, flooded back to us by the switch */
	slb_count(slb, SLB_CNT_LOOPED);
	return RX_HANDLER_CONSUMED;
}

/*
 * bond_should_deliver_exact_match() for balance-slb: a link-local frame
 * (LLDP, 802.1X, LACP) on a slave other than the receive slave goes to the
 * protocol handlers of that slave only, as on an active-backup bond's
 * inactive slave.  The receive slave's copy goes to the bond.
 */
bool bond_slb_deliver_exact(struct sk_buff *skb, struct bonding *bond,
			    struct slave *slave)
{
	struct bond_slb *slb = rcu_dereference(bond->slb);

	return slb && is_link_local_ether_addr(eth_hdr(skb)->h_dest) &&
		bond_slb_rx_slave_now(bond, slb) != slave;
}
