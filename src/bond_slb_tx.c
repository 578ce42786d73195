// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb transmit: the bucket of a frame's source MAC and VLAN, the
 * slave of that bucket, and the MAC table learned from what we send (for
 * announcements and the loop filter on receive).
 *
 * Per frame: the header's source MAC and VLAN hashed once, the bucket's
 * slave read under RCU, the bytes added to a per-CPU counter, and the MAC
 * table probed; the table is written only for a new MAC or every 250 ms
 * (SLB_SEEN_STAMP_MS), so steady traffic keeps its cache lines shared
 * between CPUs.
 */

#include <linux/hash.h>
#include <linux/if_arp.h>
#include <linux/kernel.h>
#include <linux/workqueue.h>

#include "bond_slb_priv.h"

/*
 * Slot m as one snapshot, or false if it is free, being filled, refilled
 * meanwhile or stale.  slb_learn_new() publishes the fields before the key,
 * so the key read again after them tells whether they belong to it.
 */
bool bond_slb_mac_read(const struct slb_mac *m, unsigned long now,
		       struct slb_mac_snap *snap)
{
	snap->key = READ_ONCE(m->key);
	if (!slb_key_live(snap->key))
		return false;
	smp_rmb();	/* the key before the fields it published */
	snap->seen = READ_ONCE(m->seen);
	snap->announced = READ_ONCE(m->announced);
	snap->conflict = READ_ONCE(m->conflict);
	snap->bucket = READ_ONCE(m->bucket);
	snap->src = READ_ONCE(m->src);
	smp_rmb();	/* the fields before the key again */
	if (READ_ONCE(m->key) != snap->key)
		return false;
	return time_before(now, snap->seen + msecs_to_jiffies(SLB_MAC_AGE_MS));
}

/*
 * What transmit needs of a frame's header.  16 bytes, so that it comes
 * back from the out-of-line copy in two registers.
 */
struct slb_fkey {
	u64 key;	/* slb_mac_vlan_key(): source MAC, VLAN ID (0 untagged) */
	__be16 proto;	/* behind the tag, if any */
	u16 l3off;
	bool mcast;
	bool ok;	/* false: not even an Ethernet header */
};

/* From the Ethernet header and the 4 bytes after it (an in-band tag). */
static __always_inline struct slb_fkey
slb_frame_key_hdr(const struct sk_buff *skb, const struct vlan_ethhdr *veth,
		  bool tag_fits)
{
	struct slb_fkey fk = {
		.proto = veth->h_vlan_proto,
		.l3off = ETH_HLEN,
		.mcast = is_multicast_ether_addr(veth->h_dest),
		.ok = true,
	};
	u16 vid = 0;

	if (skb_vlan_tag_present(skb)) {
		vid = skb_vlan_tag_get_id(skb);
	} else if (unlikely(eth_type_vlan(veth->h_vlan_proto)) && tag_fits) {
		vid = ntohs(veth->h_vlan_TCI) & VLAN_VID_MASK;
		fk.proto = veth->h_vlan_encapsulated_proto;
		fk.l3off = VLAN_ETH_HLEN;
	}
	fk.key = slb_mac_vlan_key(veth->h_source, vid);
	return fk;
}

/* Header not linear (or a runt): copy it out.  Out of line: it is rare. */
static noinline struct slb_fkey slb_frame_key_copy(const struct sk_buff *skb)
{
	struct slb_fkey none = { .ok = false };
	struct vlan_ethhdr _veth;
	const struct vlan_ethhdr *veth;

	veth = skb_header_pointer(skb, 0, VLAN_ETH_HLEN, &_veth);
	if (veth)
		return slb_frame_key_hdr(skb, veth, true);
	veth = skb_header_pointer(skb, 0, ETH_HLEN, &_veth);
	return veth ? slb_frame_key_hdr(skb, veth, false) : none;
}

/*
 * Per frame: read the header in place when the tag's bytes are linear too
 * (always, for frames the stack builds), without a copy on the stack.
 */
static __always_inline struct slb_fkey slb_frame_key(const struct sk_buff *skb)
{
	if (unlikely(skb_headlen(skb) < VLAN_ETH_HLEN))
		return slb_frame_key_copy(skb);
	return slb_frame_key_hdr(skb, (const struct vlan_ethhdr *)skb->data,
				 true);
}

struct slb_arp {
	struct arphdr hdr;
	u8 sha[ETH_ALEN];
	__be32 sip;
	u8 tha[ETH_ALEN];
	__be32 tip;
} __packed;

/*
 * Is the ARP or RARP frame at 'off' 'key's MAC announcing itself: a
 * gratuitous ARP or a RARP with that MAC as sender?  QEMU sends RARPs
 * after a live migration, keepalived, arp_notify and arping -U gratuitous
 * ARPs.
 */
bool bond_slb_arp_announces(const struct sk_buff *skb, __be16 proto,
			    unsigned int off, u64 key)
{
	struct slb_arp _arp;
	const struct slb_arp *arp;
	u8 mac[ETH_ALEN];

	if (proto != htons(ETH_P_ARP) && proto != htons(ETH_P_RARP))
		return false;
	arp = skb_header_pointer(skb, off, sizeof(_arp), &_arp);
	if (!arp || arp->hdr.ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->hdr.ar_pro != htons(ETH_P_IP) || arp->hdr.ar_hln != ETH_ALEN ||
	    arp->hdr.ar_pln != 4)
		return false;
	slb_key_to_mac(key, mac);
	if (!ether_addr_equal(arp->sha, mac))
		return false;
	return proto == htons(ETH_P_RARP) || arp->sip == arp->tip;
}

/* ------------------------------------------------------------------ */
/* transmit                                                            */

/*
 * Who sent a frame, as a source id (never 0).  A frame that entered the
 * host (a VM's tap or veth port on the host bridge) has its port's
 * ifindex.  One sent from the host itself has none: macvtap guests
 * (libvirt's type='direct') and containers on macvlan write theirs from a
 * socket of their own (the tap queue's, the container's), so the socket
 * tells them apart, with the top bit kept apart from ifindexes.  Frames
 * the kernel itself makes (ARP, NDP) have neither: the host's id.
 */
static u32 slb_src_id(const struct sk_buff *skb)
{
	if (skb->skb_iif)
		return (skb->skb_iif & ~BIT(31)) + 1;
	if (skb->sk)
		return hash_ptr(skb->sk, 31) | BIT(31);
	return 1;
}

/*
 * The source slot of a frame's sender, claimed if new: looked up along
 * the whole probe sequence first, so that a slot freed before the
 * sender's own does not give it a second one.
 */
struct slb_src *bond_slb_src_get(struct bond_slb *slb,
				 const struct sk_buff *skb, unsigned int *idx)
{
	u32 id = slb_src_id(skb);
	unsigned int i, j, start = hash_32(id ^ (u32)slb->seed, 32) &
		(SLB_SRC_SLOTS - 1);

	for (i = 0; i < SLB_SRC_PROBES; i++) {
		j = (start + i) & (SLB_SRC_SLOTS - 1);
		if (READ_ONCE(slb->src[j].id) == id)
			goto found;
	}
	for (i = 0; i < SLB_SRC_PROBES; i++) {
		j = (start + i) & (SLB_SRC_SLOTS - 1);
		if (!READ_ONCE(slb->src[j].id) && !cmpxchg(&slb->src[j].id, 0, id)) {
			WRITE_ONCE(slb->src[j].claimed, jiffies);
			goto found;
		}
		/* another CPU claimed one for the same sender meanwhile */
		if (READ_ONCE(slb->src[j].id) == id)
			goto found;
	}
	*idx = SLB_SRC_SLOTS;
	return &slb->src[SLB_SRC_SLOTS];
found:
	*idx = j;
	return &slb->src[j];
}

/* Bucket b carries a MAC the table refused: stamped at most once a second. */
static void slb_unlearned(struct bond_slb *slb, unsigned int b,
			  unsigned long now)
{
	struct slb_bucket *bk = &slb->bucket[b];
	unsigned long u = READ_ONCE(bk->unlearned);

	/* 0 is never; jiffies may still be short of HZ (32-bit, at boot) */
	if (!u || time_after(now, u + HZ))
		WRITE_ONCE(bk->unlearned, now ?: 1);
}

static noinline void slb_learn_new(struct bond_slb *slb, struct slb_mac *free,
				   u64 old, u64 key, unsigned long now,
				   unsigned int b, const struct sk_buff *skb,
				   __be16 proto, unsigned int l3off)
{
	struct slb_src *src;
	unsigned int idx;
	bool announce;

	/* one guest flooding MACs must leave room for the others */
	src = bond_slb_src_get(slb, skb, &idx);
	if (atomic_read(&src->macs) >= slb->src_limit) {
		slb_count(slb, SLB_CNT_MAC_LIMITED);
		slb_unlearned(slb, b, now);
		return;
	}
	if (cmpxchg64(&free->key, old, SLB_KEY_BUSY) != old)
		return;
	atomic_inc(&src->macs);
	WRITE_ONCE(free->src, idx);
	announce = bond_slb_arp_announces(skb, proto, l3off, key);
	WRITE_ONCE(free->seen, now);
	/* a VM's first frame may be its announcement: the switch floods it back */
	WRITE_ONCE(free->announced, announce ? now :
		   now - msecs_to_jiffies(SLB_GARP_LOCK_MS) - 1);
	WRITE_ONCE(free->conflict, 0);
	WRITE_ONCE(free->bucket, b);
	smp_wmb();	/* fields before the key that publishes them */
	WRITE_ONCE(free->key, key);
}

/*
 * A known MAC's own announcement: stamped, so that the switch flooding it
 * back is not taken for a migration away.
 */
static noinline void slb_learn_arp(struct slb_mac *m, const struct sk_buff *skb,
				   __be16 proto, unsigned int l3off, u64 key,
				   unsigned long now)
{
	if (bond_slb_arp_announces(skb, proto, l3off, key))
		WRITE_ONCE(m->announced, now);
}

/*
 * Remember a source MAC for announcements and the loop filter.  Writes
 * only when the MAC is new or its last-seen stamp is SLB_SEEN_STAMP_MS
 * old, so steady traffic keeps the table's cache lines shared; a lost race
 * merely delays learning to the next frame.
 */
static void slb_learn(struct bond_slb *slb, const struct sk_buff *skb,
		      u64 key, u64 h, unsigned int b, __be16 proto,
		      unsigned int l3off)
{
	unsigned int i, mask = slb->nmacs - 1, start = (h >> 8) & mask;
	unsigned long now = jiffies;
	struct slb_mac *free = NULL;
	u64 old = 0;

	for (i = 0; i < SLB_MAC_PROBES; i++) {
		struct slb_mac *m = &slb->macs[(start + i) & mask];
		u64 k = READ_ONCE(m->key);

		if (k == key) {
			unsigned long seen = READ_ONCE(m->seen);

			/* aged out: learned anew, against its sender's share */
			if (unlikely(!time_before(now, seen +
					msecs_to_jiffies(SLB_MAC_AGE_MS)))) {
				free = m;
				old = k;
				break;
			}
			if (time_after(now, seen + msecs_to_jiffies(SLB_SEEN_STAMP_MS)))
				WRITE_ONCE(m->seen, now);
			if (unlikely(proto == htons(ETH_P_ARP) ||
				     proto == htons(ETH_P_RARP)))
				slb_learn_arp(m, skb, proto, l3off, key, now);
			return;
		}
		if (!k) {
			/* never used: the key is not further on */
			if (!free) {
				free = m;
				old = 0;
			}
			break;
		}
		if (!free && k != SLB_KEY_BUSY && !slb_mac_fresh(m, now)) {
			free = m;
			old = k;
		}
	}
	if (!free) {
		slb_count(slb, SLB_CNT_MAC_FULL);
		slb_unlearned(slb, b, now);
		return;
	}
	slb_learn_new(slb, free, old, key, now, b, skb, proto, l3off);
}

/*
 * A bucket without a usable slave takes the least utilised one.  Rare (new
 * bucket, or its slave just failed), so it may walk the slaves; cmpxchg
 * makes concurrent CPUs agree.  Same rule as slb_least_utilised().
 */
static struct slave *slb_pick_slave(struct bonding *bond)
{
	struct slave *best = NULL, *slave;
	struct bond_up_slave *usable;
	u64 best_util = 0;
	unsigned int i, n;

	usable = rcu_dereference(bond->usable_slaves);
	n = usable ? READ_ONCE(usable->count) : 0;
	for (i = 0; i < n; i++) {
		u64 u;

		slave = usable->arr[i];
		if (!slb_usable(slave))
			continue;
		u = READ_ONCE(slave->slb.util);
		if (!best ||
		    slb_place_better(u, atomic_read(&slave->slb.nbuckets),
				     slb_slave_speed(slave), best_util,
				     atomic_read(&best->slb.nbuckets),
				     slb_slave_speed(best))) {
			best = slave;
			best_util = u;
		}
	}
	return best;
}

/* Out of line: rare, and inlined it costs the per-frame path registers. */
static noinline struct slave *slb_bucket_claim(struct bonding *bond,
					       struct bond_slb *slb,
					       unsigned int b,
					       struct slave *old)
{
	struct slave *best, *cur;
	int tries = 2;

again:
	best = slb_pick_slave(bond);
	if (!best)
		return NULL;
	bond_slb_rx_handover(slb, b, old);
	cur = unrcu_pointer(cmpxchg(&slb->tx[b].slave, RCU_INITIALIZER(old),
				    RCU_INITIALIZER(best)));
	if (cur != old)
		return slb_usable(cur) ? cur : NULL;
	if (unlikely(!bond_slb_kept_unless_leaving(slb, b, best, NULL))) {
		cur = rcu_dereference(slb->tx[b].slave);
		if (slb_usable(cur))
			return cur;
		if (!--tries)
			return NULL;
		old = cur;
		goto again;
	}
	atomic_inc(&best->slb.nbuckets);
	if (old) {
		/*
		 * Its slave lost carrier before link monitoring noticed: the
		 * bucket moves now; the work tells the switch.
		 */
		atomic_dec(&old->slb.nbuckets);
		atomic64_inc(&best->slb.moves_in);
		atomic64_inc(&old->slb.moves_out);
		atomic64_inc(&slb->moves);
		set_bit(b, slb->announce_pending);
		mod_delayed_work(bond->wq, &slb->work, 0);
	}
	return best;
}

static __always_inline struct slave *slb_tx_slave(struct bonding *bond,
						  struct bond_slb *slb,
						  const struct sk_buff *skb,
						  bool learn, enum slb_mc *mc)
{
	struct slb_fkey fk = slb_frame_key(skb);
	struct slave *slave, *planned;
	unsigned int b;
	u64 h;

	if (unlikely(!fk.ok))
		return NULL;
	h = slb_hash(slb, fk.key);
	b = h & (SLB_BUCKETS - 1);
	if (unlikely(fk.mcast)) {
		*mc = bond_slb_tx_mcast(bond, slb, skb, fk.proto, fk.l3off,
					fk.key >> 48, learn);
		if (*mc == SLB_MC_OVER)
			return NULL;
		if (*mc == SLB_MC_REPORT) {
			slave = bond_slb_rx_slave_now(bond, slb);
			if (slave)
				return slave;
			*mc = SLB_MC_NONE;
		}
	}
	/*
	 * The waiting move before the slave: a gap move switches the slave
	 * before the work clears ->planned, so a frame that finds no move
	 * waiting finds the slave it went to, never the old one.
	 */
	planned = rcu_dereference(slb->tx[b].planned);
	smp_rmb();	/* pairs with the cmpxchg() of slb_move_switch() */
	slave = rcu_dereference(slb->tx[b].slave);
	if (unlikely(!slb_usable(slave)))
		/* only a real transmit claims the bucket */
		slave = learn ? slb_bucket_claim(bond, slb, b, slave) :
			slb_pick_slave(bond);
	else if (unlikely(planned) && learn)
		slave = bond_slb_move_at_gap(bond, slb, b, slave, planned);
	if (learn && slave) {
		slb_bytes_add(slb, b, skb->len);
		slb_learn(slb, skb, fk.key, h, b, fk.proto, fk.l3off);
	}
	return slave;
}

/*
 * ndo_get_xmit_slave: which slave would carry this skb now.  Changes
 * nothing: no accounting, no learning, no bucket claimed, no move.
 */
struct slave *bond_slb_xmit_slave_get(struct bonding *bond,
				      struct sk_buff *skb)
{
	struct bond_slb *slb = rcu_dereference(bond->slb);
	enum slb_mc mc = SLB_MC_NONE;

	return slb ? slb_tx_slave(bond, slb, skb, false, &mc) : NULL;
}

netdev_tx_t bond_slb_xmit(struct sk_buff *skb, struct net_device *bond_dev)
{
	struct bonding *bond = netdev_priv(bond_dev);
	struct bond_slb *slb = rcu_dereference(bond->slb);
	enum slb_mc mc = SLB_MC_NONE;
	struct slave *slave = NULL;

	if (likely(slb)) {
		slave = slb_tx_slave(bond, slb, skb, true, &mc);
		if (unlikely(!slave) && mc != SLB_MC_OVER)
			slb_count(slb, SLB_CNT_NOSLAVE);
	}
	if (unlikely(mc == SLB_MC_REPORT)) {
		/*
		 * The VM's MAC stays learned on its own slave's port: the
		 * report leaves from a MAC nothing else uses (reports are
		 * rare, and bounded per sender: copying a shared header here
		 * is fine).  Its bytes load the receive slave.
		 */
		if (!skb_ensure_writable(skb, ETH_HLEN))
			u64_to_ether_addr(READ_ONCE(slb->report_mac),
					  ((struct ethhdr *)skb->data)->h_source);
		slb_count(slb, SLB_CNT_REPORTS);
		slb_count_add(slb, SLB_CNT_REPORT_BYTES, skb->len);
	} else if (unlikely(mc == SLB_MC_OVER)) {
		slb_count(slb, SLB_CNT_REPORTS_OVER);
	}
	if (likely(slave))
		return bond_dev_queue_xmit(bond, skb, slave->dev);
	return bond_tx_drop(bond_dev, skb);
}

/*
 * Give a forgotten or stale slot back as never used when the slot after it
 * is never used: no probe sequence can reach past it to a live key, so
 * lookups stop there again.  Walking down lets a run of them go in one
 * pass.  A MAC a transmit claims meanwhile right behind such a slot may be
 * learned twice; the spare copy ages out.
 */
static void slb_mac_reclaim(struct bond_slb *slb, unsigned long now)
{
	unsigned int i = slb->nmacs, mask = slb->nmacs - 1;

	while (i--) {
		struct slb_mac *m = &slb->macs[i];
		u64 k = READ_ONCE(m->key);

		if (k && k != SLB_KEY_BUSY && !slb_mac_fresh(m, now) &&
		    !READ_ONCE(slb->macs[(i + 1) & mask].key))
			cmpxchg64(&m->key, k, 0);
	}
}

/*
 * Count each source's fresh MACs again: entries age out without telling
 * anyone.  A source without MACs gives its slot back, unless it has just
 * claimed it.  Under slb->lock, once a second.
 */
void bond_slb_src_recount_free(struct bond_slb *slb, unsigned long now)
{
	u32 *n = slb->src_count;
	unsigned int i;

	slb_mac_reclaim(slb, now);
	memset(n, 0, sizeof(slb->src_count));
	for (i = 0; i < slb->nmacs; i++) {
		struct slb_mac_snap snap;

		if (bond_slb_mac_read(&slb->macs[i], now, &snap) &&
		    snap.src <= SLB_SRC_SLOTS)
			n[snap.src]++;
	}
	for (i = 0; i <= SLB_SRC_SLOTS; i++) {
		struct slb_src *src = &slb->src[i];

		atomic_set(&src->macs, n[i]);
		if (!n[i] && i < SLB_SRC_SLOTS && READ_ONCE(src->id) &&
		    time_after(now, READ_ONCE(src->claimed) + 2 * HZ))
			WRITE_ONCE(src->id, 0);
	}
}
