// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb multicast: membership reports leave through the receive
 * slave, so that a snooping switch sends each group to the one slave that
 * accepts multicast.  When the receive slave changes, general queries on
 * every VLAN in use make the VMs report again, on the new slave.  Queriers
 * seen on either side are remembered so that ours never compete with a
 * real one.  The kernel sends these queries, not userspace: the change of
 * receive slave happens here, on a link event, and no daemon knows of it.
 */

#include <linux/icmpv6.h>
#include <linux/igmp.h>
#include <linux/kernel.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "bond_slb_priv.h"

/* What an IGMP or MLD message is, from slb_mc_parse(). */
struct slb_mc_info {
	u8 type;		/* IGMP or ICMPv6 type; 0: neither */
	bool v6;
	bool general;		/* a query for every group */
	__be32 src4;		/* IP source */
	struct in6_addr src6;
};

/*
 * Strict: only a whole IPv4 datagram with protocol 2, or an ICMPv6 message
 * behind any IPv6 extension headers and not in a later fragment, is IGMP
 * or MLD.  Out of line: multicast only.
 */
static noinline bool slb_mc_parse(const struct sk_buff *skb, __be16 proto,
				  unsigned int off, struct slb_mc_info *mi)
{
	u8 _b[24];
	const u8 *b;

	mi->type = 0;
	if (proto == htons(ETH_P_IP)) {
		struct iphdr _iph;
		const struct iphdr *iph;

		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph || iph->version != 4 || iph->ihl < 5 ||
		    iph->protocol != IPPROTO_IGMP || ip_is_fragment(iph))
			return false;
		b = skb_header_pointer(skb, off + iph->ihl * 4, 8, _b);
		if (!b)
			return false;
		mi->v6 = false;
		mi->type = b[0];
		mi->general = !(b[4] | b[5] | b[6] | b[7]);
		mi->src4 = iph->saddr;
		return true;
	}
	if (proto == htons(ETH_P_IPV6)) {
		struct ipv6hdr _ip6;
		const struct ipv6hdr *ip6;
		__be16 frag = 0;
		int l4;
		u8 nh;

		ip6 = skb_header_pointer(skb, off, sizeof(_ip6), &_ip6);
		if (!ip6 || ip6->version != 6)
			return false;
		nh = ip6->nexthdr;
		/* MLD carries a router alert in a hop-by-hop header */
		l4 = ipv6_skip_exthdr(skb, off + sizeof(*ip6), &nh, &frag);
		if (l4 < 0 || nh != IPPROTO_ICMPV6 || frag)
			return false;
		/* reports are shorter than a query's 24 bytes */
		b = skb_header_pointer(skb, l4, 24, _b);
		mi->general = b && b[0] == ICMPV6_MGM_QUERY &&
			ipv6_addr_any((const struct in6_addr *)(b + 8));
		if (!b)
			b = skb_header_pointer(skb, l4, 1, _b);
		if (!b)
			return false;
		mi->v6 = true;
		mi->type = b[0];
		mi->src6 = ip6->saddr;
		return true;
	}
	return false;
}

/*
 * IGMP membership report or leave, MLD report or done.  They leave through
 * the receive slave, so a snooping switch sends the group's traffic to the
 * one slave that accepts multicast; bond_slb_xmit() rewrites their source
 * MAC, the only rewrite balance-slb makes.
 */
static bool slb_mc_is_report(const struct slb_mc_info *mi)
{
	if (mi->v6)
		return mi->type == ICMPV6_MGM_REPORT ||
			mi->type == ICMPV6_MGM_REDUCTION ||
			mi->type == ICMPV6_MLD2_REPORT;
	return mi->type == IGMP_HOST_MEMBERSHIP_REPORT ||
		mi->type == IGMPV2_HOST_MEMBERSHIP_REPORT ||
		mi->type == IGMP_HOST_LEAVE_MESSAGE ||
		mi->type == IGMPV3_HOST_MEMBERSHIP_REPORT;
}

static bool slb_mc_is_general_query(const struct slb_mc_info *mi)
{
	return mi->general && mi->type == (mi->v6 ? ICMPV6_MGM_QUERY :
					  IGMP_HOST_MEMBERSHIP_QUERY);
}

/*
 * The queriers of VLAN vid, taken if new and a slot is free; or NULL.
 * Slots change under querier_lock; the lookup alone may run without it
 * (slb_querier_seen()), so they are written and read once.
 */
static struct slb_vlan_queriers *slb_queriers_of(struct bond_slb *slb, u16 vid,
						 bool add)
{
	struct slb_vlan_queriers *free = NULL;
	unsigned int i;

	for (i = 0; i < SLB_QUERY_VLANS; i++) {
		struct slb_vlan_queriers *vq = &slb->queriers[i];

		if (READ_ONCE(vq->used) && READ_ONCE(vq->vid) == vid)
			return vq;
		if (!READ_ONCE(vq->used) && !free)
			free = vq;
	}
	if (!add || !free)
		return NULL;
	WRITE_ONCE(free->vid, vid);
	memset(free->q, 0, sizeof(free->q));
	WRITE_ONCE(free->used, true);
	return free;
}

/* How many slots are taken, for the lockless "table full" test. */
static void slb_queriers_count(struct bond_slb *slb)
{
	unsigned int i, n = 0;

	for (i = 0; i < SLB_QUERY_VLANS; i++)
		n += slb->queriers[i].used;
	WRITE_ONCE(slb->queriers_used, n);
}

static bool slb_querier_recent(const struct slb_querier *q, unsigned long now,
			       unsigned int ms)
{
	unsigned long o = READ_ONCE(q->outside), i = READ_ONCE(q->inside);

	return (o && time_before(now, o + msecs_to_jiffies(ms))) ||
		(i && time_before(now, i + msecs_to_jiffies(ms)));
}

/*
 * The work, once a second: a VLAN whose queriers have been silent for
 * the other-querier interval gives its slot back, so that VLANs seen once
 * do not fill the table for the bond's life.
 */
void bond_slb_queriers_expire(struct bond_slb *slb, unsigned long now)
{
	unsigned int i;

	spin_lock_bh(&slb->querier_lock);
	for (i = 0; i < SLB_QUERY_VLANS; i++) {
		struct slb_vlan_queriers *vq = &slb->queriers[i];

		if (vq->used &&
		    !slb_querier_recent(&vq->q[0], now, SLB_QUERIER_MS) &&
		    !slb_querier_recent(&vq->q[1], now, SLB_QUERIER_MS))
			WRITE_ONCE(vq->used, false);
	}
	slb_queriers_count(slb);
	spin_unlock_bh(&slb->querier_lock);
}

/*
 * A general query: from the switch side (mac given) or sent through us.
 * Queriers ask every 125 s by default, so a stamp a second is plenty: a
 * guest or outside host sending queries at line rate takes the lock at
 * most once a second per VLAN, and not at all for a VLAN the full table
 * has no room for.
 */
static noinline void slb_querier_seen(struct bond_slb *slb, u16 vid,
				      const struct slb_mc_info *mi, const u8 *mac)
{
	unsigned long now = jiffies, stamp;
	struct slb_vlan_queriers *vq;
	struct slb_querier *q;

	vq = slb_queriers_of(slb, vid, false);
	if (vq) {
		q = &vq->q[mi->v6];
		stamp = mac ? READ_ONCE(q->outside) : READ_ONCE(q->inside);
		if (stamp && time_before(now, stamp + HZ))
			return;
	} else if (READ_ONCE(slb->queriers_used) >= SLB_QUERY_VLANS) {
		return;
	}
	spin_lock_bh(&slb->querier_lock);
	vq = slb_queriers_of(slb, vid, true);
	if (vq) {
		q = &vq->q[mi->v6];
		if (mac) {
			ether_addr_copy(q->mac, mac);
			if (mi->v6)
				q->ip6 = mi->src6;
			else
				q->ip4 = mi->src4;
			WRITE_ONCE(q->outside, now ?: 1);
		} else {
			WRITE_ONCE(q->inside, now ?: 1);
		}
	}
	slb_queriers_count(slb);
	spin_unlock_bh(&slb->querier_lock);
}

/*
 * A sender's reports: at most SLB_REPORT_BUDGET a second.  A host reports
 * each group once per query (spread over the query's response time) and
 * on a join or leave; a guest sending more only fills the receive slave's
 * link.  Written only while under the budget: a flood past it reads the
 * count and stops there.
 */
static bool slb_report_budget(struct bond_slb *slb, const struct sk_buff *skb)
{
	unsigned long now = jiffies, at;
	struct slb_src *src;
	unsigned int idx;

	src = bond_slb_src_get(slb, skb, &idx);
	at = READ_ONCE(src->reports_at);
	if (time_after_eq(now, at + HZ) &&
	    cmpxchg(&src->reports_at, at, now) == at)
		atomic_set(&src->reports, 0);
	if (atomic_read(&src->reports) >= SLB_REPORT_BUDGET)
		return false;
	return atomic_inc_return(&src->reports) <= SLB_REPORT_BUDGET;
}

/*
 * Multicast through the bond: a membership report leaves through the
 * receive slave (SLB_MC_REPORT), within its sender's budget (else
 * SLB_MC_OVER).  A general query going out is a querier on the host side
 * (a snooping host bridge, or a VM): remembered, so that
 * bond_slb_send_queries() does not compete with it.  'learn' false: only
 * asking where the frame would go, nothing counted or remembered.
 */
enum slb_mc bond_slb_tx_mcast(struct bonding *bond, struct bond_slb *slb,
			      const struct sk_buff *skb, __be16 proto,
			      unsigned int l3off, u16 vid, bool learn)
{
	struct slb_mc_info mi;

	if (!slb_mc_parse(skb, proto, l3off, &mi))
		return SLB_MC_NONE;
	if (slb_mc_is_report(&mi))
		return !learn || slb_report_budget(slb, skb) ? SLB_MC_REPORT :
			SLB_MC_OVER;
	if (learn && slb_mc_is_general_query(&mi))
		slb_querier_seen(slb, vid, &mi, NULL);
	return SLB_MC_NONE;
}

/*
 * Source MAC of steered reports and of our queries: the burned-in address
 * of a slave, which no frame of this bond uses (the slaves all carry the
 * bond's MAC), so the switch learns no VM's MAC on the receive slave's
 * port; failing that, a locally administered variant of the bond's MAC.
 */
void bond_slb_set_report_mac(struct bonding *bond, struct bond_slb *slb)
{
	struct list_head *iter;
	struct slave *slave;
	u8 mac[ETH_ALEN];
	bool found = false;

	rcu_read_lock();
	bond_for_each_slave_rcu(bond, slave, iter) {
		if (is_valid_ether_addr(slave->perm_hwaddr) &&
		    !ether_addr_equal(slave->perm_hwaddr, bond->dev->dev_addr)) {
			ether_addr_copy(mac, slave->perm_hwaddr);
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!found) {
		ether_addr_copy(mac, bond->dev->dev_addr);
		mac[0] ^= (mac[0] & 0x02) ? 0x04 : 0x02;
		mac[0] |= 0x02;
	}
	WRITE_ONCE(slb->report_mac, ether_addr_to_u64(mac));
}

/* A general query, as if from the switch: to the bond's upper devices. */
static void slb_inject(struct bond_slb *slb, struct sk_buff *skb, u16 vid)
{
	skb->protocol = eth_type_trans(skb, slb->bond->dev);
	if (vid)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vid);
	netif_rx(skb);
}

struct slb_igmp_query {
	struct ethhdr eth;
	struct iphdr ip;
	__be32 ra;			/* router alert option */
	u8 type;
	u8 code;			/* max response time, 1/10 s */
	__sum16 csum;
	__be32 group;
	u8 qrv;
	u8 qqic;
	__be16 nsrcs;
} __packed;

struct slb_mld_query {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	u8 hbh[8];			/* hop-by-hop: router alert (MLD) */
	u8 type;
	u8 code;
	__sum16 csum;
	__be16 mrc;			/* max response delay, ms */
	__be16 resv;
	struct in6_addr group;
	u8 qrv;
	u8 qqic;
	__be16 nsrcs;
} __packed;

#define SLB_QUERY_RESPONSE_MS	1000	/* hosts answer within this */

static void slb_query_v4(struct bond_slb *slb, u16 vid, const u8 *src,
			 __be32 saddr)
{
	struct slb_igmp_query *q;
	struct sk_buff *skb;

	skb = alloc_skb(NET_IP_ALIGN + sizeof(*q), GFP_KERNEL);
	if (!skb)
		return;
	skb_reserve(skb, NET_IP_ALIGN);
	q = skb_put_zero(skb, sizeof(*q));
	ip_eth_mc_map(htonl(INADDR_ALLHOSTS_GROUP), q->eth.h_dest);
	ether_addr_copy(q->eth.h_source, src);
	q->eth.h_proto = htons(ETH_P_IP);
	q->ip.version = 4;
	q->ip.ihl = (sizeof(q->ip) + sizeof(q->ra)) / 4;
	q->ip.tos = 0xc0;
	q->ip.tot_len = htons(sizeof(*q) - ETH_HLEN);
	q->ip.ttl = 1;
	q->ip.protocol = IPPROTO_IGMP;
	/* the outside querier's, or 0.0.0.0 as snooping switches use */
	q->ip.saddr = saddr;
	q->ip.daddr = htonl(INADDR_ALLHOSTS_GROUP);
	q->ra = htonl(IPOPT_RA << 24 | 4 << 16);
	ip_send_check(&q->ip);
	q->type = IGMP_HOST_MEMBERSHIP_QUERY;
	q->code = SLB_QUERY_RESPONSE_MS / 100;
	q->qrv = 2;
	q->qqic = 125;
	q->csum = ip_compute_csum(&q->type, sizeof(*q) - offsetof(typeof(*q), type));
	slb_inject(slb, skb, vid);
}

static void slb_query_v6(struct bond_slb *slb, u16 vid, const u8 *src,
			 const struct in6_addr *saddr)
{
	unsigned int len = sizeof(struct slb_mld_query) -
		offsetof(struct slb_mld_query, type);
	struct slb_mld_query *q;
	struct sk_buff *skb;

	skb = alloc_skb(NET_IP_ALIGN + sizeof(*q), GFP_KERNEL);
	if (!skb)
		return;
	skb_reserve(skb, NET_IP_ALIGN);
	q = skb_put_zero(skb, sizeof(*q));
	ipv6_eth_mc_map(&in6addr_linklocal_allnodes, q->eth.h_dest);
	ether_addr_copy(q->eth.h_source, src);
	q->eth.h_proto = htons(ETH_P_IPV6);
	q->ip6.version = 6;
	q->ip6.payload_len = htons(sizeof(q->hbh) + len);
	q->ip6.nexthdr = IPPROTO_HOPOPTS;
	q->ip6.hop_limit = 1;
	if (saddr) {
		q->ip6.saddr = *saddr;
	} else {
		/* MLD wants a link-local source: the EUI-64 one of 'src' */
		q->ip6.saddr.s6_addr[0] = 0xfe;
		q->ip6.saddr.s6_addr[1] = 0x80;
		q->ip6.saddr.s6_addr[8] = src[0] ^ 0x02;
		q->ip6.saddr.s6_addr[9] = src[1];
		q->ip6.saddr.s6_addr[10] = src[2];
		q->ip6.saddr.s6_addr[11] = 0xff;
		q->ip6.saddr.s6_addr[12] = 0xfe;
		memcpy(&q->ip6.saddr.s6_addr[13], &src[3], 3);
	}
	q->ip6.daddr = in6addr_linklocal_allnodes;
	q->hbh[0] = IPPROTO_ICMPV6;
	q->hbh[2] = IPV6_TLV_ROUTERALERT;
	q->hbh[3] = 2;			/* value 0: MLD */
	q->hbh[6] = IPV6_TLV_PADN;
	q->type = ICMPV6_MGM_QUERY;
	q->mrc = htons(SLB_QUERY_RESPONSE_MS);
	q->qrv = 2;
	q->qqic = 125;
	q->csum = csum_ipv6_magic(&q->ip6.saddr, &q->ip6.daddr, len,
				  IPPROTO_ICMPV6, csum_partial(&q->type, len, 0));
	slb_inject(slb, skb, vid);
}

/*
 * One general query on VLAN vid for family v6, so that a snooping host
 * bridge elects no new querier, keeps its own queries and takes bond0 for
 * no router port:
 * - a querier on the host side (its queries go out through us) asks by
 *   itself: nothing is sent;
 * - a querier behind the switch: the query is made as if from it (its MAC
 *   and address), which changes nobody's election;
 * - nobody queries: from our report MAC and 0.0.0.0 or a link-local
 *   address, as a snooping switch asks for others.
 */
static unsigned int slb_query_as_querier(struct bond_slb *slb, u16 vid,
					 bool v6, const u8 *src,
					 unsigned long now)
{
	unsigned long recent = msecs_to_jiffies(SLB_QUERIER_MS);
	struct slb_vlan_queriers *vq;
	struct slb_querier q = {};

	spin_lock_bh(&slb->querier_lock);
	vq = slb_queriers_of(slb, vid, false);
	if (vq)
		q = vq->q[v6];
	spin_unlock_bh(&slb->querier_lock);
	if (q.inside && time_before(now, q.inside + recent))
		return 0;
	if (q.outside && time_before(now, q.outside + recent))
		src = q.mac;
	else
		q = (struct slb_querier){};
	if (v6)
		slb_query_v6(slb, vid, src, ipv6_addr_any(&q.ip6) ? NULL : &q.ip6);
	else
		slb_query_v4(slb, vid, src, q.ip4);
	return 1;
}

/*
 * The receive slave changed: the switch must learn the groups on the new
 * slave's port.  Ask the VMs (and the host) with a general query on every
 * VLAN in use; their reports then leave through the new receive slave.
 * Under slb->lock, from the work.
 */
void bond_slb_send_queries(struct bond_slb *slb)
{
	unsigned long now = jiffies;
	unsigned int i, vid, n = 0;
	u8 src[ETH_ALEN];

	u64_to_ether_addr(slb->report_mac, src);
	bitmap_zero(slb->vids, VLAN_N_VID);
	__set_bit(0, slb->vids);
	for (i = 0; i < slb->nmacs; i++) {
		struct slb_mac_snap snap;

		if (bond_slb_mac_read(&slb->macs[i], now, &snap))
			__set_bit((snap.key >> 48) & VLAN_VID_MASK, slb->vids);
	}
	for_each_set_bit(vid, slb->vids, VLAN_N_VID) {
		if (n++ == SLB_QUERY_VLANS)
			break;
		slb->queries += slb_query_as_querier(slb, vid, 0, src, now);
		slb->queries += slb_query_as_querier(slb, vid, 1, src, now);
	}
}

/* A general query from the switch side: remember that querier. */
void bond_slb_rx_query(struct bond_slb *slb,
		       const struct sk_buff *skb, u16 vid)
{
	struct slb_mc_info mi;

	if (slb_mc_parse(skb, skb->protocol, 0, &mi) &&
	    slb_mc_is_general_query(&mi))
		slb_querier_seen(slb, vid, &mi, eth_hdr(skb)->h_source);
}
