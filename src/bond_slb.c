// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb: source-MAC load balancing for the bonding driver.
 *
 * Every transmitted frame is placed by its source MAC and VLAN into one of
 * 256 buckets; a bucket belongs to one slave, so one VM always leaves
 * through one link and the switch learns it on one port.  The switch needs
 * no configuration.  No frame's MAC is rewritten but one kind: an IGMP/MLD
 * membership report leaves through the broadcast receive slave with a
 * slave's own MAC as source, so the switch learns no VM on that port.  A
 * periodic work item measures each bucket's load and moves buckets from the
 * busiest to the least utilised slave; every MAC of a moved bucket is
 * announced on its new slave so the switch follows at once.
 *
 * On receive, broadcast/multicast is accepted on one slave only (link-local
 * frames also reach each slave's own handlers), unicast on the slave its
 * destination's bucket transmits on, so flooded frames arrive once; frames
 * of our own VMs looped back by the switch are dropped, unless they cannot
 * be reflections, which marks their MAC as also used behind the switch.
 *
 * Locking: the transmit and receive paths are lockless (RCU; per-CPU
 * counters).  Control paths (work item, slave and link events, options)
 * serialise on slb->lock, taken after RTNL when RTNL is held.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/vmalloc.h>
#include <linux/debugfs.h>
#include <linux/igmp.h>
#include <linux/icmpv6.h>
#include <linux/in6.h>
#include <net/arp.h>
#include <net/netlink.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/bonding.h>
#include <net/bond_options.h>
#include <net/bond_slb.h>

#include "bond_slb_compat.h"
#include "bond_slb_core.h"
#include "bond_slb_parse.h"

MODULE_VERSION(BOND_SLB_VERSION);

#define SLB_SAMPLE_MS		1000	/* load measurement period */
#define SLB_MIN_INTERVAL_MS	100	/* shortest non-zero interval */
#define SLB_MAX_INTERVAL_MS	86400000 /* one day */
#define SLB_DEFAULT_INTERVAL_MS	10000
#define SLB_DEFAULT_COOLDOWN_MS	30000	/* a moved bucket stays put */
#define SLB_DEFAULT_GAP_MS	50	/* idle time before a bucket moves */
#define SLB_MAX_GAP_MS		1000
#define SLB_MOVE_MAX_WAIT_MS	2000	/* a bucket that never idles moves anyway */
#define SLB_FAILBACK_MS		10000	/* rebalance window after a slave joins */
#define SLB_MAC_SLOTS		4096	/* default known MACs per bond */
#define SLB_MAC_SLOTS_MIN	256
#define SLB_MAC_SLOTS_MAX	65536	/* 2.6 MB per bond */
#define SLB_MAC_PROBES		8
#define SLB_SRC_SLOTS		1024	/* sources tracked (skb_iif), bounded */
#define SLB_SRC_PROBES		8
#define SLB_SRC_SHARE		8	/* one source: at most 1/8 of the table */
#define SLB_SRC_MIN_SHARE	32
#define SLB_MAC_AGE_MS		300000	/* like a bridge FDB's ageing */
#define SLB_GARP_LOCK_MS	5000	/* our own announcement, not a migration */
#define SLB_RX_GRACE_MS		2000	/* old slave still accepts after a move */
#define SLB_RX_SWITCH_MS	100	/* both accept after a receive slave change */
#define SLB_RX_SEEN		64	/* broadcasts remembered meanwhile */
#define SLB_CONFLICT_MS		30000	/* a MAC also used outside: no loop filter */
#define SLB_ANNOUNCE_BURST	1024	/* announcements per second, at most */
#define SLB_KEY_BUSY		(~0ULL)	/* slot being filled; never a real key */
#define SLB_LACP_SUBTYPE	1	/* slow protocols subtype of LACP */
#define SLB_LACP_STATE_OFF	18	/* actor state, from the subtype byte */
#define SLB_LACP_SHORT_TIMEOUT	0x02	/* actor state: fast (1 s) LACPDUs */
#define SLB_QUERY_REPEAT	2	/* general queries after a receive slave change */
#define SLB_QUERY_VLANS		64	/* VLANs queried at most */
#define SLB_QUERIER_MS		255000	/* other querier present interval */

struct slb_mac {
	u64 key;			/* slb_mac_vlan_key(); 0 = free */
	unsigned long seen;		/* jiffies of the last frame sent */
	unsigned long announced;	/* jiffies: last announcement, ours or its own */
	unsigned long conflict;		/* jiffies: last frame from it outside, or 0 */
	__be32 ip;			/* from its own ARP frames, or 0 */
	u16 bucket;
	u16 src;			/* slb->src[] it was learned from */
};

/* A consistent copy of one slot: the key is checked again after the rest. */
struct slb_mac_snap {
	u64 key;
	unsigned long seen;
	unsigned long announced;
	unsigned long conflict;
	__be32 ip;
	u16 bucket;
	u16 src;
};

/*
 * Where MACs come from: the interface a frame entered the host on
 * (skb_iif: the VM's port on the host bridge, 0 for the host's own), so
 * that one guest cannot fill the whole MAC table.  Index SLB_SRC_SLOTS is
 * shared by the sources that found no slot.
 */
struct slb_src {
	u32 id;			/* skb_iif + 1; 0 = free */
	atomic_t macs;		/* its fresh MACs, recounted every second */
	unsigned long claimed;	/* jiffies */
};

struct slb_bucket {
	struct slave __rcu *slave;
	struct slave __rcu *next;	/* planned move, waiting for a gap */
	u64 last_tx_ns;			/* while a move waits: last frame */
	u64 move_since_ns;		/* when that move was planned */
	u64 load;			/* bytes/s, slb_avg() */
	u64 bytes_seen;			/* counter sum at the last sample */
	unsigned long moved;		/* jiffies of the last move */
	u32 nmoves;
	bool moved_ever;
	/*
	 * Unicast receive: the slave the bucket left, and until when it still
	 * accepts frames for the bucket's MACs (the switch learns the new port
	 * only from their next frame or our announcement).  Compared, never
	 * dereferenced.
	 */
	struct slave *rx_prev;
	unsigned long rx_prev_until;
};

/* Per-CPU event counters, summed for /proc/net/bonding. */
enum {
	SLB_CNT_LOOPED,		/* our own frames flooded back, dropped */
	SLB_CNT_MCAST_DROPPED,	/* broadcast/multicast of other slaves */
	SLB_CNT_NOSLAVE,	/* transmit without a usable slave */
	SLB_CNT_MAC_FULL,	/* not learned: no slot free */
	SLB_CNT_MAC_LIMITED,	/* not learned: their source holds its share */
	SLB_CNT_REPORTS,	/* IGMP/MLD reports sent via the receive slave */
	SLB_CNT_FLOOD_DROPPED,	/* unicast copies of other slaves */
	SLB_CNT_CONFLICTS,	/* our MACs seen from behind the switch */
	SLB_CNT_MIGRATIONS,	/* VMs seen announced from the switch side */
	SLB_CNT_MCAST_DUPS,	/* second copies at a receive slave change */
	SLB_CNT_MAX
};

struct slb_pcpu {
	u64_stats_t bytes[SLB_BUCKETS];
	u64_stats_t cnt[SLB_CNT_MAX];
	struct u64_stats_sync syncp;
};

/*
 * Who queries for multicast memberships on a VLAN, per family (0 IPv4,
 * 1 IPv6): general queries seen from the switch side (source kept, so
 * that ours look like that querier's) and going out through the bond.
 */
struct slb_querier {
	unsigned long outside;	/* jiffies of the last one from the switch, 0 never */
	unsigned long inside;	/* jiffies of the last one sent through us, 0 never */
	u8 mac[ETH_ALEN];	/* the outside querier's */
	__be32 ip4;
	struct in6_addr ip6;
};

struct slb_vlan_queriers {
	u16 vid;
	bool used;
	struct slb_querier q[2];
};

struct bond_slb {
	struct bonding *bond;
	/*
	 * Per-bond random seed of slb_key_hash(): a guest cannot aim its MACs
	 * at one bucket or MAC table slot.
	 */
	u64 seed;
	struct slb_bucket bucket[SLB_BUCKETS];
	struct slb_pcpu __percpu *pcpu;
	struct slb_mac *macs;
	unsigned int nmacs;		/* slots, a power of two */
	unsigned int src_limit;		/* fresh MACs one source may hold */
	struct slb_src src[SLB_SRC_SLOTS + 1];
	u32 src_count[SLB_SRC_SLOTS + 1];	/* recount scratch, under lock */
	struct slave __rcu *rx_slave;
	/*
	 * A change of receive slave between two live slaves: the previous one
	 * still accepts until rx_switch_until, and for as long again every
	 * accepted broadcast/multicast is checked against rx_seen[] so that
	 * the second copy of a frame is dropped (slb_rx_mcast_here()).
	 * rx_switch_from is compared, never dereferenced; NULL: no change
	 * under way.
	 */
	struct slave *rx_switch_from;
	unsigned long rx_switch_until;
	atomic64_t rx_seen[SLB_RX_SEEN];
	struct delayed_work work;
	struct mutex lock;		/* control path, see top of file */
	/* buckets whose MACs still have to be announced */
	unsigned long announce_pending[BITS_TO_LONGS(SLB_BUCKETS)];
	/* buckets whose planned move the transmit path carried out */
	unsigned long move_done[BITS_TO_LONGS(SLB_BUCKETS)];
	unsigned int moves_waiting;	/* buckets with a planned move */
	u64 report_mac;		/* source of steered reports and our queries */
	spinlock_t querier_lock;	/* general queries only, not per frame */
	struct slb_vlan_queriers queriers[SLB_QUERY_VLANS];
	unsigned int queries_left;
	bool rx_ever;			/* a receive slave was chosen before */
	u64 queries;
	unsigned long vids[BITS_TO_LONGS(VLAN_N_VID)];	/* scratch, under lock */
	unsigned long last_sample;
	unsigned long last_rebalance;
	unsigned long failback_until;
	unsigned long tokens_at;
	unsigned int tokens;
	atomic64_t moves;
	u64 announces;
	/* scratch for decisions, under lock */
	struct slb_core core;
	struct slb_move plan[SLB_BUCKETS];
	struct slave *slaves[SLB_MAX_SLAVES];
	unsigned int nslaves;
	/* slb_sample() sums per slave (too big for its stack), under lock */
	u64 sum_load[SLB_MAX_SLAVES];
	u64 sum_place[SLB_MAX_SLAVES];
	struct dentry *dbg_dir;		/* ours to remove, or NULL */
	struct dentry *dbg_file;
};

/* ------------------------------------------------------------------ */
/* module parameter                                                    */

/*
 * The numeric options: one range check for the module parameters (defaults
 * for new bonds) and the bond's options (sysfs, netlink).
 */
struct slb_u32_opt {
	const char *name;
	u32 min;		/* smallest value but 0 */
	u32 max;
	bool zero;		/* 0 allowed: off, never or at once */
	bool pow2;
};

static const struct slb_u32_opt slb_opt_interval = {
	"slb_rebalance_interval", SLB_MIN_INTERVAL_MS, SLB_MAX_INTERVAL_MS, true
};

static const struct slb_u32_opt slb_opt_gap = {
	"slb_move_gap", 1, SLB_MAX_GAP_MS, true
};

static const struct slb_u32_opt slb_opt_cooldown = {
	"slb_move_cooldown", 1, SLB_MAX_INTERVAL_MS, true
};

static const struct slb_u32_opt slb_opt_mac_table = {
	"slb_mac_table_size", SLB_MAC_SLOTS_MIN, SLB_MAC_SLOTS_MAX, false, true
};

static bool slb_u32_ok(const struct slb_u32_opt *o, u64 v)
{
	if (!v)
		return o->zero;
	return v >= o->min && v <= o->max && (!o->pow2 || is_power_of_2(v));
}

struct slb_uint_param {
	unsigned int val;
	const struct slb_u32_opt *opt;
};

static int slb_param_set(const char *val, const struct kernel_param *kp)
{
	struct slb_uint_param *p = kp->arg;
	unsigned int v;
	int err;

	err = kstrtouint(val, 10, &v);
	if (err)
		return err;
	if (!slb_u32_ok(p->opt, v))
		return -ERANGE;
	p->val = v;
	return 0;
}

static int slb_param_get(char *buf, const struct kernel_param *kp)
{
	const struct slb_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", p->val);
}

static const struct kernel_param_ops slb_param_ops = {
	.set = slb_param_set,
	.get = slb_param_get,
};

static struct slb_uint_param slb_rebalance_interval = {
	SLB_DEFAULT_INTERVAL_MS, &slb_opt_interval
};
module_param_cb(slb_rebalance_interval, &slb_param_ops,
		&slb_rebalance_interval, 0444);
MODULE_PARM_DESC(slb_rebalance_interval,
		 "balance-slb: ms between rebalancing runs, 0 = never, 100..86400000 (default 10000)");

static struct slb_uint_param slb_move_gap = {
	SLB_DEFAULT_GAP_MS, &slb_opt_gap
};
module_param_cb(slb_move_gap, &slb_param_ops, &slb_move_gap, 0444);
MODULE_PARM_DESC(slb_move_gap,
		 "balance-slb: ms a bucket's traffic must pause before it moves, 0 = move at once, 0..1000 (default 50)");

static struct slb_uint_param slb_move_cooldown = {
	SLB_DEFAULT_COOLDOWN_MS, &slb_opt_cooldown
};
module_param_cb(slb_move_cooldown, &slb_param_ops, &slb_move_cooldown, 0444);
MODULE_PARM_DESC(slb_move_cooldown,
		 "balance-slb: ms a moved bucket stays on its slave before rebalancing may move it again, 0..86400000 (default 30000)");

static struct slb_uint_param slb_mac_table_size = {
	SLB_MAC_SLOTS, &slb_opt_mac_table
};
module_param_cb(slb_mac_table_size, &slb_param_ops, &slb_mac_table_size, 0444);
MODULE_PARM_DESC(slb_mac_table_size,
		 "balance-slb: MACs a bond remembers, a power of two, 256..65536 (default 4096)");

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* Transmit and receive: BH is off, so this CPU's counters are ours. */
static __always_inline void slb_count_add(struct bond_slb *slb, unsigned int i,
					  u64 v)
{
	struct slb_pcpu *p = this_cpu_ptr(slb->pcpu);

	u64_stats_update_begin(&p->syncp);
	u64_stats_add(&p->cnt[i], v);
	u64_stats_update_end(&p->syncp);
}

#define slb_count(slb, i)	slb_count_add(slb, i, 1)

static __always_inline void slb_bytes_add(struct bond_slb *slb, unsigned int b,
					  u64 v)
{
	struct slb_pcpu *p = this_cpu_ptr(slb->pcpu);

	u64_stats_update_begin(&p->syncp);
	u64_stats_add(&p->bytes[b], v);
	u64_stats_update_end(&p->syncp);
}

/* Every counter summed over the CPUs, untorn on 32-bit hosts too. */
static void slb_counts(struct bond_slb *slb, u64 *sum)
{
	unsigned int i, start;
	int cpu;

	memset(sum, 0, SLB_CNT_MAX * sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct slb_pcpu *p = per_cpu_ptr(slb->pcpu, cpu);
		u64 v[SLB_CNT_MAX];

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			for (i = 0; i < SLB_CNT_MAX; i++)
				v[i] = u64_stats_read(&p->cnt[i]);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		for (i = 0; i < SLB_CNT_MAX; i++)
			sum[i] += v[i];
	}
}

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

static inline u64 slb_hash(const struct bond_slb *slb, u64 key)
{
	return slb_key_hash(key, slb->seed);
}

static u32 slb_speed(const struct slave *slave)
{
	return slave->speed > 0 && slave->speed != SPEED_UNKNOWN ?
		slave->speed : 0;
}

static __always_inline bool slb_usable(const struct slave *slave)
{
	if (!slave || READ_ONCE(slave->slb.leaving))
		return false;
	/* downdelay: the admin asked to keep using it until bonding gives up */
	if (READ_ONCE(slave->bond->params.downdelay))
		return netif_running(slave->dev) &&
			bond_is_active_slave((struct slave *)slave) &&
			(slave->link == BOND_LINK_UP ||
			 slave->link == BOND_LINK_FAIL);
	/*
	 * The carrier bit is set by the driver at once; operstate and
	 * slave->link follow later (linkwatch, miimon).  Same cache line as
	 * the running bit bond_slave_can_tx() reads.
	 */
	return bond_slave_can_tx((struct slave *)slave) &&
		netif_carrier_ok(slave->dev);
}

static bool slb_in_conflict(unsigned long conflict, unsigned long now)
{
	return conflict &&
		time_before(now, conflict + msecs_to_jiffies(SLB_CONFLICT_MS));
}

static bool slb_mac_fresh(const struct slb_mac *m, unsigned long now)
{
	u64 key = READ_ONCE(m->key);

	return key && key != SLB_KEY_BUSY &&
		time_before(now, READ_ONCE(m->seen) +
			    msecs_to_jiffies(SLB_MAC_AGE_MS));
}

static struct slb_mac *slb_mac_find(struct bond_slb *slb, u64 key, u64 h)
{
	unsigned int i, mask = slb->nmacs - 1, start = (h >> 8) & mask;

	for (i = 0; i < SLB_MAC_PROBES; i++) {
		struct slb_mac *m = &slb->macs[(start + i) & mask];

		if (READ_ONCE(m->key) == key)
			return m;
	}
	return NULL;
}

/*
 * Slot m as one snapshot, or false if it is free, being filled, refilled
 * meanwhile or stale.  slb_learn_new() publishes the fields before the key,
 * so the key read again after them tells whether they belong to it.
 */
static bool slb_mac_read(const struct slb_mac *m, unsigned long now,
			 struct slb_mac_snap *snap)
{
	snap->key = READ_ONCE(m->key);
	if (!snap->key || snap->key == SLB_KEY_BUSY)
		return false;
	smp_rmb();	/* the key before the fields it published */
	snap->seen = READ_ONCE(m->seen);
	snap->announced = READ_ONCE(m->announced);
	snap->conflict = READ_ONCE(m->conflict);
	snap->ip = READ_ONCE(m->ip);
	snap->bucket = READ_ONCE(m->bucket);
	snap->src = READ_ONCE(m->src);
	smp_rmb();	/* the fields before the key again */
	if (READ_ONCE(m->key) != snap->key)
		return false;
	return time_before(now, snap->seen + msecs_to_jiffies(SLB_MAC_AGE_MS));
}

static void slb_key_to_mac(u64 key, u8 *mac)
{
	u64_to_ether_addr(key & GENMASK_ULL(47, 0), mac);
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

/* The queriers of VLAN vid, taken if new and a slot is free; or NULL. */
static struct slb_vlan_queriers *slb_queriers_of(struct bond_slb *slb, u16 vid,
						 bool add)
{
	struct slb_vlan_queriers *free = NULL;
	unsigned int i;

	for (i = 0; i < SLB_QUERY_VLANS; i++) {
		struct slb_vlan_queriers *vq = &slb->queriers[i];

		if (vq->used && vq->vid == vid)
			return vq;
		if (!vq->used && !free)
			free = vq;
	}
	if (!add || !free)
		return NULL;
	free->used = true;
	free->vid = vid;
	return free;
}

/* A general query: from the switch side (mac given) or sent through us. */
static noinline void slb_querier_seen(struct bond_slb *slb, u16 vid,
				      const struct slb_mc_info *mi, const u8 *mac)
{
	struct slb_vlan_queriers *vq;
	struct slb_querier *q;

	spin_lock_bh(&slb->querier_lock);
	vq = slb_queriers_of(slb, vid, true);
	if (vq) {
		q = &vq->q[mi->v6];
		if (mac) {
			q->outside = jiffies ?: 1;
			ether_addr_copy(q->mac, mac);
			if (mi->v6)
				q->ip6 = mi->src6;
			else
				q->ip4 = mi->src4;
		} else {
			q->inside = jiffies ?: 1;
		}
	}
	spin_unlock_bh(&slb->querier_lock);
}

struct slb_arp {
	struct arphdr hdr;
	u8 sha[ETH_ALEN];
	__be32 sip;
	u8 tha[ETH_ALEN];
	__be32 tip;
} __packed;

/*
 * An ARP or RARP frame at 'off' in which 'key's MAC speaks for itself: its
 * IPv4 address (0 if none), and whether it announces itself, that is a
 * gratuitous ARP or a RARP.  QEMU sends RARPs after a live migration,
 * keepalived, arp_notify and arping -U gratuitous ARPs.
 */
static noinline __be32 slb_arp_of(const struct sk_buff *skb, __be16 proto,
				  unsigned int off, u64 key, bool *announce)
{
	struct slb_arp _arp;
	const struct slb_arp *arp;
	u8 mac[ETH_ALEN];

	*announce = false;
	if (proto != htons(ETH_P_ARP) && proto != htons(ETH_P_RARP))
		return 0;
	arp = skb_header_pointer(skb, off, sizeof(_arp), &_arp);
	if (!arp || arp->hdr.ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->hdr.ar_pro != htons(ETH_P_IP) || arp->hdr.ar_hln != ETH_ALEN ||
	    arp->hdr.ar_pln != 4)
		return 0;
	slb_key_to_mac(key, mac);
	if (!ether_addr_equal(arp->sha, mac))
		return 0;
	*announce = proto == htons(ETH_P_RARP) || arp->sip == arp->tip;
	return proto == htons(ETH_P_ARP) ? arp->sip : 0;
}

/* ------------------------------------------------------------------ */
/* transmit                                                            */

/* Claim a slot for a new MAC; whoever loses the race learns later. */
/* The source slot of skb's ingress interface, claimed if new. */
static struct slb_src *slb_src_get(struct bond_slb *slb,
				   const struct sk_buff *skb, unsigned int *idx)
{
	u32 id = skb->skb_iif + 1;
	unsigned int i, start = hash_32(id ^ (u32)slb->seed, 32) &
		(SLB_SRC_SLOTS - 1);

	for (i = 0; i < SLB_SRC_PROBES; i++) {
		unsigned int j = (start + i) & (SLB_SRC_SLOTS - 1);
		struct slb_src *src = &slb->src[j];
		u32 cur = READ_ONCE(src->id);

		if (!cur && !cmpxchg(&src->id, 0, id)) {
			WRITE_ONCE(src->claimed, jiffies);
			cur = id;
		}
		if (cur == id) {
			*idx = j;
			return src;
		}
	}
	*idx = SLB_SRC_SLOTS;
	return &slb->src[SLB_SRC_SLOTS];
}

static noinline void slb_learn_new(struct bond_slb *slb, struct slb_mac *free,
				   u64 old, u64 key, unsigned long now,
				   unsigned int b, const struct sk_buff *skb,
				   __be16 proto, unsigned int l3off)
{
	struct slb_src *src;
	unsigned int idx;
	bool announce;
	__be32 ip;

	/* one guest flooding MACs must leave room for the others */
	src = slb_src_get(slb, skb, &idx);
	if (atomic_read(&src->macs) >= slb->src_limit) {
		slb_count(slb, SLB_CNT_MAC_LIMITED);
		return;
	}
	if (cmpxchg64(&free->key, old, SLB_KEY_BUSY) != old)
		return;
	atomic_inc(&src->macs);
	WRITE_ONCE(free->src, idx);
	ip = slb_arp_of(skb, proto, l3off, key, &announce);
	WRITE_ONCE(free->seen, now);
	/* a VM's first frame may be its announcement: the switch floods it back */
	WRITE_ONCE(free->announced, announce ? now :
		   now - msecs_to_jiffies(SLB_GARP_LOCK_MS) - 1);
	WRITE_ONCE(free->conflict, 0);
	WRITE_ONCE(free->ip, ip);
	WRITE_ONCE(free->bucket, b);
	smp_wmb();	/* fields before the key that publishes them */
	WRITE_ONCE(free->key, key);
}

/*
 * A known MAC's own ARP/RARP: keep its address, and stamp its announcements
 * so that the switch flooding them back is not taken for a migration away.
 */
static noinline void slb_learn_arp(struct slb_mac *m, const struct sk_buff *skb,
				   __be16 proto, unsigned int l3off, u64 key,
				   unsigned long now)
{
	bool announce;
	__be32 ip = slb_arp_of(skb, proto, l3off, key, &announce);

	if (ip && ip != READ_ONCE(m->ip))
		WRITE_ONCE(m->ip, ip);
	if (announce)
		WRITE_ONCE(m->announced, now);
}

/*
 * Remember a source MAC for announcements and the loop filter.  Writes
 * only when the MAC is new or its entry is a second old, so steady traffic
 * keeps the table's cache lines shared; a lost race merely delays learning
 * to the next frame.
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
			if (time_after(now, READ_ONCE(m->seen) + HZ))
				WRITE_ONCE(m->seen, now);
			if (unlikely(proto == htons(ETH_P_ARP) ||
				     proto == htons(ETH_P_RARP)))
				slb_learn_arp(m, skb, proto, l3off, key, now);
			return;
		}
		if (!free && k != SLB_KEY_BUSY && (!k || !slb_mac_fresh(m, now))) {
			free = m;
			old = k;
		}
	}
	if (!free) {
		slb_count(slb, SLB_CNT_MAC_FULL);
		return;
	}
	slb_learn_new(slb, free, old, key, now, b, skb, proto, l3off);
}

/*
 * Bucket b is about to leave 'from'.  Frames for its MACs still arrive
 * there until the switch sees them on the new port: keep accepting them on
 * 'from' for SLB_RX_GRACE_MS.  A bucket that had no slave needs no grace:
 * the switch knew none of its MACs on our ports, so it floods their frames
 * to the new slave too.
 */
static void slb_rx_handover(struct bond_slb *slb, unsigned int b,
			    struct slave *from)
{
	struct slb_bucket *bk = &slb->bucket[b];

	WRITE_ONCE(bk->rx_prev, from);
	WRITE_ONCE(bk->rx_prev_until,
		   jiffies + msecs_to_jiffies(SLB_RX_GRACE_MS));
	smp_wmb();	/* before the new slave is published */
}

/* Does bucket bk's previous slave still accept its MACs' unicast? */
static bool slb_rx_grace(const struct slb_bucket *bk, unsigned long now)
{
	return READ_ONCE(bk->rx_prev) &&
		time_before(now, READ_ONCE(bk->rx_prev_until));
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
				     slb_speed(slave), best_util,
				     atomic_read(&best->slb.nbuckets),
				     slb_speed(best))) {
			best = slave;
			best_util = u;
		}
	}
	return best;
}

/*
 * A slave being released is marked ->leaving, then its buckets are moved
 * off (bond_slb_slave_removing()), with no grace period in between.  A
 * transmit that pointed bucket b at 'to' looks at ->leaving again after
 * its cmpxchg (a full barrier on success): either the release saw the
 * bucket on 'to' and moves it, or this sees ->leaving and takes the
 * bucket back.  True if the bucket may stay.
 */
static bool slb_stays(struct bond_slb *slb, unsigned int b,
		      struct slave *to, struct slave *back)
{
	if (likely(!READ_ONCE(to->slb.leaving)))
		return true;
	cmpxchg(&slb->bucket[b].slave, RCU_INITIALIZER(to),
		RCU_INITIALIZER(back));
	return false;
}

static struct slave *slb_assign(struct bonding *bond, struct bond_slb *slb,
				unsigned int b, struct slave *old)
{
	struct slave *best, *cur;
	int tries = 2;

again:
	best = slb_pick_slave(bond);
	if (!best)
		return NULL;
	slb_rx_handover(slb, b, old);
	cur = unrcu_pointer(cmpxchg(&slb->bucket[b].slave, RCU_INITIALIZER(old),
				    RCU_INITIALIZER(best)));
	if (cur != old)
		return slb_usable(cur) ? cur : NULL;
	if (unlikely(!slb_stays(slb, b, best, NULL))) {
		cur = rcu_dereference(slb->bucket[b].slave);
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

/*
 * The slave that accepts broadcast/multicast now.  Between the receive
 * slave losing carrier and the control path choosing another, the first
 * usable slave stands in (the one the control path falls back to), so
 * nothing is lost meanwhile and still only one slave accepts.
 */
static struct slave *slb_rx_slave_now(struct bonding *bond,
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
 * floods a broadcast to every slave at about the same moment; a change
 * that falls between the copies would otherwise let both or neither in.
 * So for SLB_RX_SWITCH_MS after a change both slaves accept, and for
 * twice that long every accepted copy leaves a fingerprint (its headers,
 * length and first bytes, hashed with the bond's seed) tagged with its
 * slave; a fingerprint already left by another slave means the second
 * copy.  A frame repeated on the same slave is a new frame.  Writes to
 * rx_seen[] happen only during such a window, a few per change.
 */
#define SLB_RX_SEEN_BYTES	64

static u32 slb_rx_fingerprint(const struct bond_slb *slb,
			      const struct sk_buff *skb, u16 vid)
{
	u8 buf[SLB_RX_SEEN_BYTES];
	unsigned int n = min_t(unsigned int, skb->len, sizeof(buf));
	const void *p = skb_header_pointer(skb, 0, n, buf);
	u32 h = jhash(eth_hdr(skb), ETH_HLEN, (u32)slb->seed);

	if (p)
		h = jhash(p, n, h);
	return jhash_2words(skb->len, vid, h);
}

/* True if another slave already passed this frame up. */
static bool slb_rx_seen_twice(struct bond_slb *slb, const struct slave *slave,
			      const struct sk_buff *skb, u16 vid,
			      unsigned long now)
{
	u32 fp = slb_rx_fingerprint(slb, skb, vid);
	atomic64_t *e = &slb->rx_seen[fp % SLB_RX_SEEN];
	/* fingerprint, slave, jiffies (16 bits: the window is far shorter) */
	u64 mine = (u64)fp << 32 | (u64)(slave->dev->ifindex & 0xffff) << 16 |
		(now & 0xffff);
	s64 old = atomic64_read(e);
	int tries = 2;

	while (tries--) {
		if ((u64)old >> 32 == fp &&
		    ((u64)old >> 16 & 0xffff) != (mine >> 16 & 0xffff) &&
		    (u16)(now - old) <= 2 * msecs_to_jiffies(SLB_RX_SWITCH_MS))
			return true;
		if (atomic64_try_cmpxchg(e, &old, mine))
			return false;
		/* another CPU wrote it meanwhile, maybe the other copy: look again */
	}
	return false;
}

/* Whether 'slave' passes broadcast/multicast up now. */
static bool slb_rx_mcast_here(struct bonding *bond, struct bond_slb *slb,
			      struct slave *slave, const struct sk_buff *skb,
			      u16 vid, unsigned long now)
{
	struct slave *from = READ_ONCE(slb->rx_switch_from);
	unsigned long until;

	if (likely(!from))
		return slave == slb_rx_slave_now(bond, slb);
	smp_rmb();	/* the window before its slave (slb_rx_switch_open) */
	until = READ_ONCE(slb->rx_switch_until);
	if (slave != slb_rx_slave_now(bond, slb) &&
	    !(slave == from && time_before(now, until)))
		return false;
	if (!time_before(now, until + msecs_to_jiffies(SLB_RX_SWITCH_MS)))
		return true;
	if (!slb_rx_seen_twice(slb, slave, skb, vid, now))
		return true;
	slb_count(slb, SLB_CNT_MCAST_DUPS);
	return false;
}

/*
 * Reorder-free moves.  A planned move (rebalance, failback, slb_migrate)
 * waits in bucket->next for a pause in the bucket's traffic at least
 * slb_move_gap long: by then the frames queued on the old slave have
 * left, so the first frame on the new slave cannot overtake them.  A
 * bucket that never pauses moves after SLB_MOVE_MAX_WAIT_MS anyway.
 * Failover does not wait: the old link is gone.
 */
static bool slb_move_due(const struct bonding *bond,
			 const struct slb_bucket *bk, u64 now, u64 last)
{
	s64 gap = (s64)READ_ONCE(bond->slb_params.move_gap) * NSEC_PER_MSEC;

	/* signed: another CPU may have stamped a frame after 'now' was read */
	return (s64)(now - last) >= gap ||
		(s64)(now - READ_ONCE(bk->move_since_ns)) >=
		(s64)SLB_MOVE_MAX_WAIT_MS * NSEC_PER_MSEC;
}

/* Point bucket b at 'to' unless another CPU changed it meanwhile. */
static bool slb_switch(struct bond_slb *slb, unsigned int b,
		       struct slave *from, struct slave *to)
{
	struct slave *cur;

	slb_rx_handover(slb, b, from);
	cur = unrcu_pointer(cmpxchg(&slb->bucket[b].slave, RCU_INITIALIZER(from),
				    RCU_INITIALIZER(to)));
	if (cur != from || !slb_stays(slb, b, to, from))
		return false;
	atomic64_inc(&to->slb.moves_in);
	if (from)
		atomic64_inc(&from->slb.moves_out);
	atomic64_inc(&slb->moves);
	return true;
}

/* A frame of a bucket whose move waits: is this the gap to move at? */
static struct slave *slb_flowlet(struct bonding *bond, struct bond_slb *slb,
				 unsigned int b, struct slave *cur)
{
	struct slb_bucket *bk = &slb->bucket[b];
	struct slave *to = rcu_dereference(bk->next);
	u64 now = ktime_get_mono_fast_ns();

	if (!to || to == cur)
		return cur;
	if (!slb_move_due(bond, bk, now, READ_ONCE(bk->last_tx_ns)) ||
	    !slb_usable(to) || !slb_switch(slb, b, cur, to)) {
		WRITE_ONCE(bk->last_tx_ns, now);
		return cur;
	}
	/* the work clears ->next and announces the MACs on 'to' */
	set_bit(b, slb->move_done);
	mod_delayed_work(bond->wq, &slb->work, 0);
	return to;
}

/*
 * Multicast through the bond: true for a membership report, which leaves
 * through the receive slave.  A general query going out is a querier on
 * the host side (a snooping host bridge, or a VM): remembered, so that
 * slb_send_queries() does not compete with it.
 */
static noinline bool slb_tx_mcast(struct bonding *bond, struct bond_slb *slb,
				  const struct sk_buff *skb, __be16 proto,
				  unsigned int l3off, u16 vid, bool learn)
{
	struct slb_mc_info mi;

	if (!slb_mc_parse(skb, proto, l3off, &mi))
		return false;
	if (slb_mc_is_report(&mi))
		return true;
	if (learn && slb_mc_is_general_query(&mi))
		slb_querier_seen(slb, vid, &mi, NULL);
	return false;
}

static __always_inline struct slave *slb_tx_slave(struct bonding *bond,
						  struct bond_slb *slb,
						  const struct sk_buff *skb,
						  bool learn, bool *report)
{
	struct slb_fkey fk = slb_frame_key(skb);
	struct slave *slave;
	unsigned int b;
	u64 h;

	if (unlikely(!fk.ok))
		return NULL;
	h = slb_hash(slb, fk.key);
	b = h & (SLB_BUCKETS - 1);
	if (unlikely(fk.mcast) && report &&
	    slb_tx_mcast(bond, slb, skb, fk.proto, fk.l3off, fk.key >> 48,
			 learn)) {
		slave = slb_rx_slave_now(bond, slb);
		if (slave) {
			*report = true;
			return slave;
		}
	}
	slave = rcu_dereference(slb->bucket[b].slave);
	if (unlikely(!slb_usable(slave)))
		/* only a real transmit claims the bucket */
		slave = learn ? slb_assign(bond, slb, b, slave) :
			slb_pick_slave(bond);
	else if (unlikely(rcu_access_pointer(slb->bucket[b].next)) && learn)
		slave = slb_flowlet(bond, slb, b, slave);
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
	bool report = false;

	return slb ? slb_tx_slave(bond, slb, skb, false, &report) : NULL;
}

netdev_tx_t bond_slb_xmit(struct sk_buff *skb, struct net_device *bond_dev)
{
	struct bonding *bond = netdev_priv(bond_dev);
	struct bond_slb *slb = rcu_dereference(bond->slb);
	struct slave *slave = NULL;
	bool report = false;

	if (likely(slb)) {
		slave = slb_tx_slave(bond, slb, skb, true, &report);
		if (unlikely(!slave))
			slb_count(slb, SLB_CNT_NOSLAVE);
	}
	if (unlikely(report)) {
		/*
		 * The VM's MAC stays learned on its own slave's port: the
		 * report leaves from a MAC nothing else uses (reports are
		 * rare; copying a shared header here is fine).
		 */
		if (!skb_ensure_writable(skb, ETH_HLEN))
			u64_to_ether_addr(READ_ONCE(slb->report_mac),
					  ((struct ethhdr *)skb->data)->h_source);
		slb_count(slb, SLB_CNT_REPORTS);
	}
	if (likely(slave))
		return bond_dev_queue_xmit(bond, skb, slave->dev);
	return bond_tx_drop(bond_dev, skb);
}

/* ------------------------------------------------------------------ */
/* announcements                                                       */

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
	int i;

	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = key >> (8 * (ETH_ALEN - 1 - i));
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

static void set_bits_word(struct bond_slb *slb, unsigned int i,
			  unsigned long bits)
{
	atomic_long_or(bits, (atomic_long_t *)&slb->announce_pending[i]);
}

/*
 * Announce the MACs of the pending buckets on their current slaves.  The
 * pending bits are taken atomically, as the transmit path may set more
 * meanwhile; what the rate limit leaves unsent is put back.
 */
static void slb_announce_pending(struct bond_slb *slb)
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

		if (!slb_mac_read(m, now, &snap) || !test_bit(snap.bucket, todo))
			continue;
		/* also used behind the switch: do not pull it over to us */
		if (slb_in_conflict(snap.conflict, now))
			continue;
		slave = rcu_dereference(slb->bucket[snap.bucket].slave);
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
			WRITE_ONCE(slb->bucket[b].rx_prev_until,
				   now + msecs_to_jiffies(SLB_RX_GRACE_MS));
	if (i < slb->nmacs) {
		/* out of tokens: the rest next time (some twice, harmless) */
		for (i = 0; i < ARRAY_SIZE(todo); i++)
			if (todo[i])
				set_bits_word(slb, i, todo[i]);
	}
}

/* ------------------------------------------------------------------ */
/* control path: state snapshot, moves                                 */

/* Fill slb->core from the live bucket pointers.  Under slb->lock. */
static void slb_snapshot(struct bond_slb *slb, unsigned long now)
{
	struct slb_core *c = &slb->core;
	unsigned int i, j;

	c->nslaves = slb->nslaves;
	c->cooldown_ms = READ_ONCE(slb->bond->slb_params.move_cooldown);
	c->interval_ms = READ_ONCE(slb->bond->slb_params.rebalance_interval);
	for (i = 0; i < slb->nslaves; i++) {
		c->slave[i].speed_mbps = slb_speed(slb->slaves[i]);
		c->slave[i].usable = slb_usable(slb->slaves[i]);
	}
	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slave *s = rcu_dereference_protected(slb->bucket[i].next,
							    lockdep_is_held(&slb->lock));
		struct slb_core_bucket *cb = &c->bucket[i];

		/* a bucket whose move waits counts where it is going */
		if (!s)
			s = rcu_dereference_protected(slb->bucket[i].slave,
						      lockdep_is_held(&slb->lock));

		cb->slave = SLB_NO_SLAVE;
		for (j = 0; s && j < slb->nslaves; j++)
			if (slb->slaves[j] == s)
				cb->slave = j;
		cb->load = slb->bucket[i].load;
		cb->moved_ever = slb->bucket[i].moved_ever;
		cb->last_move_ms = cb->moved_ever ?
			jiffies_to_msecs(now - slb->bucket[i].moved) : 0;
	}
}

static struct slave *slb_cur(struct bond_slb *slb, unsigned int b)
{
	return rcu_dereference_protected(slb->bucket[b].slave,
					 lockdep_is_held(&slb->lock));
}

static struct slave *slb_next(struct bond_slb *slb, unsigned int b)
{
	return rcu_dereference_protected(slb->bucket[b].next,
					 lockdep_is_held(&slb->lock));
}

/* Forget bucket b's waiting move, if any.  Under slb->lock. */
static void slb_cancel_move(struct bond_slb *slb, unsigned int b)
{
	if (slb_next(slb, b)) {
		RCU_INIT_POINTER(slb->bucket[b].next, NULL);
		slb->moves_waiting--;
	}
}

/* A move is complete: tell the switch.  Under slb->lock. */
static void slb_moved(struct bond_slb *slb, unsigned int b)
{
	slb->bucket[b].nmoves++;
	set_bit(b, slb->announce_pending);
}

/* Move bucket b to 'to' now.  Under slb->lock. */
static void slb_move_now(struct bond_slb *slb, unsigned int b,
			 struct slave *to)
{
	struct slave *from = slb_cur(slb, b);

	slb_cancel_move(slb, b);
	if (from == to)
		return;
	slb_rx_handover(slb, b, from);
	rcu_assign_pointer(slb->bucket[b].slave, to);
	atomic64_inc(&to->slb.moves_in);
	if (from)
		atomic64_inc(&from->slb.moves_out);
	atomic64_inc(&slb->moves);
	slb_moved(slb, b);
}

/* Count buckets per slave from the pointers (a waiting move counts). */
static void slb_recount(struct bond_slb *slb)
{
	unsigned int n[SLB_MAX_SLAVES] = { 0 };
	unsigned int i, j;

	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slave *s = slb_next(slb, i) ?: slb_cur(slb, i);

		for (j = 0; s && j < slb->nslaves; j++)
			if (slb->slaves[j] == s)
				n[j]++;
	}
	for (j = 0; j < slb->nslaves; j++)
		atomic_set(&slb->slaves[j]->slb.nbuckets, n[j]);
}

/*
 * Carry out moves planned on slb->core.  A planned move waits for a gap
 * in the bucket's traffic (see slb_flowlet()); failover moves ('planned'
 * false) and all moves with slb_move_gap 0 happen now.  Under slb->lock.
 */
static void slb_apply(struct bond_slb *slb, int n, bool planned)
{
	bool wait = planned && READ_ONCE(slb->bond->slb_params.move_gap);
	u64 now_ns = ktime_get_mono_fast_ns();
	unsigned long now = jiffies;
	int i;

	for (i = 0; i < n; i++) {
		const struct slb_move *mv = &slb->plan[i];
		struct slb_bucket *bk = &slb->bucket[mv->bucket];
		struct slave *to = slb->slaves[mv->to];

		if (slb_cur(slb, mv->bucket) == to) {
			slb_cancel_move(slb, mv->bucket);
			continue;
		}
		if (planned) {
			bk->moved = now;
			bk->moved_ever = true;
		}
		/* an unused bucket or a dead slave has nothing in flight */
		if (!wait || !slb_usable(slb_cur(slb, mv->bucket))) {
			slb_move_now(slb, mv->bucket, to);
			continue;
		}
		if (!slb_next(slb, mv->bucket))
			slb->moves_waiting++;
		WRITE_ONCE(bk->last_tx_ns, now_ns);
		WRITE_ONCE(bk->move_since_ns, now_ns);
		/* publishes the times above to slb_flowlet() */
		rcu_assign_pointer(bk->next, to);
	}
	slb_recount(slb);
	if (n)
		slb_announce_pending(slb);
}

/*
 * The work's share of waiting moves: buckets the transmit path moved get
 * announced; idle buckets move here; moves to a slave that went away are
 * dropped.  Under slb->lock.
 */
static void slb_progress_moves(struct bond_slb *slb)
{
	unsigned long done[BITS_TO_LONGS(SLB_BUCKETS)];
	unsigned int b;

	for (b = 0; b < ARRAY_SIZE(done); b++)
		done[b] = xchg(&slb->move_done[b], 0);
	if (!slb->moves_waiting && bitmap_empty(done, SLB_BUCKETS))
		return;
	for (b = 0; b < SLB_BUCKETS; b++) {
		struct slb_bucket *bk = &slb->bucket[b];
		struct slave *to = slb_next(slb, b);
		struct slave *cur = slb_cur(slb, b);

		if (!to) {
			if (test_bit(b, done))
				slb_moved(slb, b);
			continue;
		}
		if (cur != to) {
			if (!slb_usable(to)) {
				slb_cancel_move(slb, b);
				continue;
			}
			if (slb_usable(cur) &&
			    !slb_move_due(slb->bond, bk, ktime_get_mono_fast_ns(),
					  READ_ONCE(bk->last_tx_ns)))
				continue;
			if (!slb_switch(slb, b, cur, to))
				continue;
		}
		slb_cancel_move(slb, b);
		slb_moved(slb, b);
	}
	slb_recount(slb);
}

/*
 * The core works on absolute ms; we give it "now" as a large constant and
 * last moves as now - age, which keeps every value positive.
 */
#define SLB_CORE_NOW	BIT_ULL(40)

static void slb_core_times(struct bond_slb *slb)
{
	unsigned int i;

	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slb_core_bucket *cb = &slb->core.bucket[i];

		cb->last_move_ms = SLB_CORE_NOW - cb->last_move_ms;
	}
}

static void slb_rebalance_now(struct bond_slb *slb, int max_moves)
{
	int n;

	slb_snapshot(slb, jiffies);
	slb_core_times(slb);
	n = slb_rebalance(&slb->core, SLB_CORE_NOW, slb->plan, max_moves);
	slb_apply(slb, n, true);
}

/* Move every bucket of 'slave' to survivors and announce. */
static void slb_evacuate_slave(struct bond_slb *slb, struct slave *slave)
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
		struct slave *to = slb_next(slb, i);

		if (to == slave)
			slb_cancel_move(slb, i);
		else if (to && slb_cur(slb, i) == slave)
			slb_move_now(slb, i, to);
	}
	slb_snapshot(slb, jiffies);
	slb_core_times(slb);
	slb->core.slave[idx].usable = false;
	n = slb_evacuate(&slb->core, idx, SLB_CORE_NOW, slb->plan, SLB_BUCKETS);
	/* failover moves are forced: they do not start a cooldown */
	slb_apply(slb, n, false);
	/* no survivor: leave nothing pointing at the slave */
	for (i = 0; i < SLB_BUCKETS; i++)
		if (slb_cur(slb, i) == slave)
			RCU_INIT_POINTER(slb->bucket[i].slave, NULL);
	slb_recount(slb);
}

/*
 * Source MAC of steered reports and of our queries: the burned-in address
 * of a slave, which no frame of this bond uses (the slaves all carry the
 * bond's MAC), so the switch learns no VM's MAC on the receive slave's
 * port; failing that, a locally administered variant of the bond's MAC.
 */
static void slb_set_report_mac(struct bonding *bond, struct bond_slb *slb)
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
static void slb_send_queries(struct bond_slb *slb)
{
	unsigned long now = jiffies;
	unsigned int i, vid, n = 0;
	u8 src[ETH_ALEN];

	u64_to_ether_addr(slb->report_mac, src);
	bitmap_zero(slb->vids, VLAN_N_VID);
	__set_bit(0, slb->vids);
	for (i = 0; i < slb->nmacs; i++) {
		struct slb_mac_snap snap;

		if (slb_mac_read(&slb->macs[i], now, &snap))
			__set_bit((snap.key >> 48) & VLAN_VID_MASK, slb->vids);
	}
	for_each_set_bit(vid, slb->vids, VLAN_N_VID) {
		if (n++ == SLB_QUERY_VLANS)
			break;
		slb->queries += slb_query_as_querier(slb, vid, 0, src, now);
		slb->queries += slb_query_as_querier(slb, vid, 1, src, now);
	}
}

/*
 * Open the window of slb_rx_mcast_here() for a change away from 'from',
 * which still receives.  Readers that may have seen no window yet are
 * waited for, so every copy 'from' passes up from now on leaves its
 * fingerprint before the new slave accepts anything.
 */
static void slb_rx_switch_open(struct bond_slb *slb, struct slave *from)
{
	unsigned int i;

	if (!READ_ONCE(slb->rx_switch_from))
		for (i = 0; i < SLB_RX_SEEN; i++)
			atomic64_set(&slb->rx_seen[i], 0);
	WRITE_ONCE(slb->rx_switch_until,
		   jiffies + msecs_to_jiffies(SLB_RX_SWITCH_MS));
	smp_wmb();	/* the window before its slave (slb_rx_mcast_here) */
	WRITE_ONCE(slb->rx_switch_from, from);
	synchronize_net();
}

/* The work: close the window once no copy can be checked against it. */
static void slb_rx_switch_close(struct bond_slb *slb, unsigned long now)
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
static void slb_update_rx_slave(struct bonding *bond, struct bond_slb *slb)
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
	slb_set_report_mac(bond, slb);
	if (pick == cur)
		return;
	if (pick && slb_usable(cur))
		slb_rx_switch_open(slb, cur);
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

/* ------------------------------------------------------------------ */
/* periodic work: measure, rebalance, announce                         */

/* The work: forget the LACP flag of slaves whose LACPDUs stopped. */
static void slb_lacp_expire(struct bond_slb *slb)
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

static unsigned long slb_period(const struct bonding *bond)
{
	u32 iv = bond->slb_params.rebalance_interval;

	return msecs_to_jiffies(iv && iv < SLB_SAMPLE_MS ? iv : SLB_SAMPLE_MS);
}

/*
 * Count each source's fresh MACs again: entries age out without telling
 * anyone.  A source without MACs gives its slot back, unless it has just
 * claimed it.  Under slb->lock, once a second.
 */
static void slb_src_recount(struct bond_slb *slb, unsigned long now)
{
	u32 *n = slb->src_count;
	unsigned int i;

	memset(n, 0, sizeof(slb->src_count));
	for (i = 0; i < slb->nmacs; i++) {
		struct slb_mac_snap snap;

		if (slb_mac_read(&slb->macs[i], now, &snap) &&
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

static void slb_sample(struct bond_slb *slb, unsigned long now)
{
	u32 span = slb_avg_span(READ_ONCE(slb->bond->slb_params.rebalance_interval));
	u64 *load = slb->sum_load, *place = slb->sum_place;
	unsigned int i, j, elapsed;

	elapsed = jiffies_to_msecs(now - slb->last_sample);
	if (!elapsed)
		return;
	slb->last_sample = now;
	for (j = 0; j < slb->nslaves; j++) {
		load[j] = 0;
		place[j] = 0;
	}
	for (i = 0; i < SLB_BUCKETS; i++) {
		struct slb_bucket *bk = &slb->bucket[i];
		struct slave *s;
		u64 total = slb_bucket_bytes(slb, i), rate;

		rate = div_u64((total - bk->bytes_seen) * 1000, elapsed);
		bk->bytes_seen = total;
		/* decisions: a slow average and its noise (kept in slb->core) */
		slb->core.bucket[i].dev = slb_avg_dev(slb->core.bucket[i].dev,
						      bk->load, rate, elapsed, span);
		bk->load = slb_avg(bk->load, rate, elapsed, span);
		/* expired for good, not again once jiffies wrap */
		if (bk->rx_prev && !slb_rx_grace(bk, now))
			WRITE_ONCE(bk->rx_prev, NULL);
		s = rcu_dereference_protected(bk->slave, lockdep_is_held(&slb->lock));
		for (j = 0; s && j < slb->nslaves; j++) {
			if (slb->slaves[j] == s) {
				load[j] += bk->load;
				place[j] += rate;	/* placement: this sample */
			}
		}
	}
	for (j = 0; j < slb->nslaves; j++) {
		struct slave *s = slb->slaves[j];

		WRITE_ONCE(s->slb.load, load[j]);
		WRITE_ONCE(s->slb.util, slb_place_util(place[j], slb_speed(s)));
	}
}

static void slb_work(struct work_struct *work)
{
	struct bond_slb *slb = container_of(work, struct bond_slb, work.work);
	struct bonding *bond = slb->bond;
	u32 iv = READ_ONCE(bond->slb_params.rebalance_interval);
	unsigned long now = jiffies, delay;
	/* link events choose the receive slave at once; this is a fallback */
	bool rtnl = rtnl_trylock();
	bool failback;

	mutex_lock(&slb->lock);
	if (time_after_eq(now, slb->last_sample + slb_period(bond))) {
		slb_sample(slb, now);
		slb_src_recount(slb, now);
	}
	slb_progress_moves(slb);
	if (rtnl)
		slb_update_rx_slave(bond, slb);
	slb_rx_switch_close(slb, now);
	if (slb->queries_left) {
		slb->queries_left--;
		slb_send_queries(slb);
	}
	slb_lacp_expire(slb);
	failback = time_before(now, slb->failback_until);
	if ((iv && time_after_eq(now, slb->last_rebalance + msecs_to_jiffies(iv))) ||
	    failback) {
		slb->last_rebalance = now;
		slb_rebalance_now(slb, SLB_MAX_MOVES_PER_RUN);
	}
	slb_announce_pending(slb);
	delay = slb_period(bond);
	if (!bitmap_empty(slb->announce_pending, SLB_BUCKETS))
		delay = min_t(unsigned long, delay, HZ / 10);
	if (slb->rx_switch_from)
		delay = min_t(unsigned long, delay,
			      2 * msecs_to_jiffies(SLB_RX_SWITCH_MS) + 1);
	/* idle buckets move as soon as their gap has passed */
	if (slb->moves_waiting)
		delay = min_t(unsigned long, delay,
			      msecs_to_jiffies(bond->slb_params.move_gap / 2) ?: 1);
	mutex_unlock(&slb->lock);
	if (rtnl)
		rtnl_unlock();

	queue_delayed_work(bond->wq, &slb->work, delay);
}

/* ------------------------------------------------------------------ */
/* receive                                                             */

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
 * Unicast is accepted on one slave only, or a frame the switch floods (for
 * a MAC it has not learned, or has aged out, or with learning off) would
 * reach a VM once per slave.  That slave is the one the destination's
 * bucket transmits on: where the switch learns the MAC, and which a flooded
 * copy reaches too, so no only copy is lost.  Nobody transmits in the
 * bucket yet: the receive slave takes it, as for broadcasts.  After a move
 * the old slave keeps accepting for SLB_RX_GRACE_MS after the move and
 * after the announcement, while the switch may still send there.
 */
static bool slb_rx_unicast_here(struct bonding *bond, struct bond_slb *slb,
				struct slave *slave, const u8 *dest, u16 vid,
				unsigned long now)
{
	u64 h = slb_hash(slb, slb_mac_vlan_key(dest, vid));
	const struct slb_bucket *bk = &slb->bucket[h & (SLB_BUCKETS - 1)];
	struct slave *cur = rcu_dereference(bk->slave);

	if (likely(cur == slave))
		return true;
	smp_rmb();	/* the slave before its predecessor (slb_rx_handover) */
	if (READ_ONCE(bk->rx_prev) == slave && slb_rx_grace(bk, now))
		return true;
	if (slave != slb_rx_slave_now(bond, slb))
		return false;
	/* the source of our reports and queries is learned there */
	return !slb_usable(cur) ||
		slb_mac_vlan_key(dest, 0) == READ_ONCE(slb->report_mac);
}

/*
 * A frame from a MAC we transmit that cannot be a reflection of our own:
 * it arrived on the very slave that MAC leaves from (a switch never sends a
 * frame back out of its ingress port), or it is unicast to one of our MACs
 * (the host bridge delivers those itself), or that MAC has sent nothing
 * here for over a second and was not announced (a switch keeps no frame
 * that long).  Another host uses the MAC: a guest spoofing it, or a VM
 * gone elsewhere without announcing itself.
 */
static bool slb_rx_foreign(struct bond_slb *slb, struct slave *slave,
			   const struct ethhdr *eth, u16 vid,
			   const struct slb_mac_snap *snap, unsigned long now)
{
	const struct slb_bucket *bk = &slb->bucket[snap->bucket];
	struct slb_mac_snap dst;
	struct slb_mac *d;
	u64 key;

	if (rcu_access_pointer(bk->slave) == slave && !slb_rx_grace(bk, now))
		return true;
	if (time_after(now, snap->seen + 2 * HZ) &&
	    time_after(now, snap->announced +
		       msecs_to_jiffies(SLB_GARP_LOCK_MS)))
		return true;
	if (is_multicast_ether_addr(eth->h_dest))
		return false;
	key = slb_mac_vlan_key(eth->h_dest, vid);
	d = slb_mac_find(slb, key, slb_hash(slb, key));
	return d && slb_mac_read(d, now, &dst) && dst.key == key;
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

/* All-hosts groups, where general queries go. */
static bool slb_is_query_dest(const u8 *dest)
{
	static const u8 v4[ETH_ALEN] __aligned(2) = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const u8 v6[ETH_ALEN] __aligned(2) = { 0x33, 0x33, 0, 0, 0, 1 };

	return ether_addr_equal(dest, v4) || ether_addr_equal(dest, v6);
}

/* A general query from the switch side: remember that querier. */
static noinline void slb_rx_query(struct bond_slb *slb,
				  const struct sk_buff *skb, u16 vid)
{
	struct slb_mc_info mi;

	if (slb_mc_parse(skb, skb->protocol, 0, &mi) &&
	    slb_mc_is_general_query(&mi))
		slb_querier_seen(slb, vid, &mi, eth_hdr(skb)->h_source);
}

/* bond->recv_probe: runs for every frame a slave receives, under RCU. */
static int bond_slb_recv(const struct sk_buff *skb, struct bonding *bond,
			 struct slave *slave)
{
	struct bond_slb *slb = rcu_dereference(bond->slb);
	const struct ethhdr *eth = eth_hdr(skb);
	unsigned long now = jiffies;
	struct slb_mac_snap snap;
	bool announce;
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
			slb_count(slb, SLB_CNT_MCAST_DROPPED);
			return RX_HANDLER_CONSUMED;
		}
	} else if (!slb_rx_unicast_here(bond, slb, slave, eth->h_dest, vid,
					now)) {
		slb_count(slb, SLB_CNT_FLOOD_DROPPED);
		return RX_HANDLER_CONSUMED;
	}

	key = slb_mac_vlan_key(eth->h_source, vid);
	m = slb_mac_find(slb, key, slb_hash(slb, key));
	if (!m || !slb_mac_read(m, now, &snap) || snap.key != key) {
		if (unlikely(is_multicast_ether_addr(eth->h_dest)) &&
		    slb_is_query_dest(eth->h_dest))
			slb_rx_query(slb, skb, vid);
		return RX_HANDLER_ANOTHER;
	}

	slb_arp_of(skb, skb->protocol, 0, key, &announce);
	if (announce && time_after(now, snap.announced +
				   msecs_to_jiffies(SLB_GARP_LOCK_MS))) {
		/* the VM now lives behind the switch (live migration) */
		if (cmpxchg64(&m->key, key, 0) == key)
			slb_count(slb, SLB_CNT_MIGRATIONS);
		return RX_HANDLER_ANOTHER;
	}
	if (slb_in_conflict(snap.conflict, now) ||
	    slb_rx_foreign(slb, slave, eth, vid, &snap, now)) {
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
		slb_rx_slave_now(bond, slb) != slave;
}

/* ------------------------------------------------------------------ */
/* hooks from the bonding core                                         */

static void slb_debugfs_add(struct bond_slb *slb);
static void slb_debugfs_remove(struct bond_slb *slb);

void bond_slb_setup(struct bonding *bond)
{
	RCU_INIT_POINTER(bond->slb, NULL);
	bond->slb_params.rebalance_interval = slb_rebalance_interval.val;
	bond->slb_params.move_gap = slb_move_gap.val;
	bond->slb_params.move_cooldown = slb_move_cooldown.val;
	bond->slb_params.mac_table_size = slb_mac_table_size.val;
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

	bond_for_each_slave(bond, slave, iter) {
		atomic_set(&slave->slb.nbuckets, 0);
		WRITE_ONCE(slave->slb.util, 0);
		if (slb->nslaves < SLB_MAX_SLAVES)
			slb->slaves[slb->nslaves++] = slave;
	}
	mutex_lock(&slb->lock);
	slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);

	rcu_assign_pointer(bond->slb, slb);
	slb_debugfs_add(slb);
	WRITE_ONCE(bond->recv_probe, bond_slb_recv);
	queue_delayed_work(bond->wq, &slb->work, slb_period(bond));
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
	slb_debugfs_remove(slb);
	slb_free(slb);
}

/* bond_enslave(): a slave beyond SLB_MAX_SLAVES is refused, not ignored. */
int bond_slb_can_enslave(struct bonding *bond, struct net_device *slave_dev,
			 struct netlink_ext_ack *extack)
{
	struct list_head *iter;
	struct slave *slave;
	unsigned int n = 0;

	bond_for_each_slave(bond, slave, iter)
		n++;
	if (n < SLB_MAX_SLAVES)
		return 0;
	NL_SET_ERR_MSG(extack, "balance-slb supports at most 64 slaves");
	slave_err(bond->dev, slave_dev, "balance-slb supports at most %d slaves\n",
		  SLB_MAX_SLAVES);
	return -EBUSY;
}

void bond_slb_slave_added(struct bonding *bond, struct slave *slave)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);

	/* slave->slb is zero: bond_alloc_slave() zeroes the whole slave */
	if (!slb)
		return;
	mutex_lock(&slb->lock);
	/* bond_slb_can_enslave() keeps the count in range */
	if (!WARN_ON_ONCE(slb->nslaves >= SLB_MAX_SLAVES)) {
		slb->slaves[slb->nslaves++] = slave;
		/* new capacity: take load soon, whatever the interval */
		slb->failback_until = jiffies + msecs_to_jiffies(SLB_FAILBACK_MS);
	}
	slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);
}

void bond_slb_slave_removing(struct bonding *bond, struct slave *slave)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);
	unsigned int i;

	if (!slb)
		return;
	WRITE_ONCE(slave->slb.leaving, true);
	/* before reading the buckets: pairs with slb_stays() */
	smp_mb();
	mutex_lock(&slb->lock);
	slb_evacuate_slave(slb, slave);
	for (i = 0; i < slb->nslaves; i++) {
		if (slb->slaves[i] == slave) {
			slb->slaves[i] = slb->slaves[--slb->nslaves];
			break;
		}
	}
	/* a slave enslaved later may get the same address */
	if (slb->rx_switch_from == slave)
		WRITE_ONCE(slb->rx_switch_from, NULL);
	slb_update_rx_slave(bond, slb);
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
	slb_update_rx_slave(bond, slb);
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
		slb_evacuate_slave(slb, slave);
	slb_update_rx_slave(bond, slb);
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
	slb_evacuate_slave(slb, slave);
	slb_update_rx_slave(bond, slb);
	mutex_unlock(&slb->lock);
}

/* ------------------------------------------------------------------ */
/* options                                                             */

/*
 * The options take their text raw (BOND_OPTFLAG_RAWVAL): bonding's parser
 * reads "10 20" as 10 and matches that against its table rows, so "4096
 * 8192" would pass as 4096.  Exactly one decimal number in range, or an
 * error naming the option and its range, and nothing changes.
 */
static int slb_opt_u32(struct bonding *bond, const struct bond_opt_value *newval,
		       const struct slb_u32_opt *o, u32 *out)
{
	u64 v = newval->value;

	if (newval->string) {
		unsigned int x;

		if (kstrtouint(newval->string, 10, &x)) {
			netdev_err(bond->dev, "%s: \"%.*s\" is not a decimal number\n",
				   o->name, (int)strcspn(newval->string, "\n"),
				   newval->string);
			return -EINVAL;
		}
		v = x;
	}
	if (!slb_u32_ok(o, v)) {
		netdev_err(bond->dev, "%s: %llu is out of range: %s%s%u..%u\n",
			   o->name, v, o->zero ? "0 or " : "",
			   o->pow2 ? "a power of two in " : "", o->min, o->max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int bond_slb_opt_interval_set(struct bonding *bond,
			      const struct bond_opt_value *newval)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);
	u32 v;
	int err;

	err = slb_opt_u32(bond, newval, &slb_opt_interval, &v);
	if (err)
		return err;
	WRITE_ONCE(bond->slb_params.rebalance_interval, v);
	if (slb) {
		/* a new interval counts from now */
		mutex_lock(&slb->lock);
		slb->last_rebalance = jiffies;
		mutex_unlock(&slb->lock);
		mod_delayed_work(bond->wq, &slb->work, slb_period(bond));
	}
	return 0;
}

/* Takes effect at once. */
int bond_slb_opt_gap_set(struct bonding *bond,
			 const struct bond_opt_value *newval)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);
	u32 v;
	int err;

	err = slb_opt_u32(bond, newval, &slb_opt_gap, &v);
	if (err)
		return err;
	WRITE_ONCE(bond->slb_params.move_gap, v);
	if (slb)
		mod_delayed_work(bond->wq, &slb->work, 0);
	return 0;
}

int bond_slb_opt_cooldown_set(struct bonding *bond,
			      const struct bond_opt_value *newval)
{
	u32 v;
	int err;

	err = slb_opt_u32(bond, newval, &slb_opt_cooldown, &v);
	if (err)
		return err;
	WRITE_ONCE(bond->slb_params.move_cooldown, v);
	return 0;
}

/* The table is allocated when the bond goes up: set it while it is down. */
int bond_slb_opt_mac_table_set(struct bonding *bond,
			       const struct bond_opt_value *newval)
{
	u32 v;
	int err;

	err = slb_opt_u32(bond, newval, &slb_opt_mac_table, &v);
	if (err)
		return err;
	if (rtnl_dereference(bond->slb)) {
		netdev_err(bond->dev, "slb_mac_table_size: the bond is up; set it while the bond is down\n");
		return -EBUSY;
	}
	bond->slb_params.mac_table_size = v;
	return 0;
}

static ssize_t slb_param_show(struct device *d, char *buf, size_t off)
{
	struct bonding *bond = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%u\n",
			  *(u32 *)((char *)&bond->slb_params + off));
}

ssize_t bond_slb_interval_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return slb_param_show(d, buf, offsetof(struct bond_slb_params,
					       rebalance_interval));
}

ssize_t bond_slb_gap_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	return slb_param_show(d, buf, offsetof(struct bond_slb_params, move_gap));
}

ssize_t bond_slb_cooldown_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return slb_param_show(d, buf, offsetof(struct bond_slb_params,
					       move_cooldown));
}

ssize_t bond_slb_mac_table_show(struct device *d, struct device_attribute *attr,
				char *buf)
{
	return slb_param_show(d, buf, offsetof(struct bond_slb_params,
					       mac_table_size));
}

/* "<MAC> [<vid>] <slave>": move that MAC's bucket there and announce. */
int bond_slb_opt_migrate_set(struct bonding *bond,
			     const struct bond_opt_value *newval)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);
	char name[SLB_NAME_MAX + 1];
	struct slave *to = NULL;
	struct list_head *iter;
	struct slave *slave;
	unsigned int b, i;
	u8 mac[ETH_ALEN];
	u16 vid;

	/* the pure parser, fuzzed in userspace (selftests/unit) */
	if (slb_parse_migrate(newval->string, strlen(newval->string), mac, &vid,
			      name))
		goto usage;
	if (!slb) {
		netdev_err(bond->dev, "slb_migrate: bond is down\n");
		return -ENETDOWN;
	}
	bond_for_each_slave(bond, slave, iter)
		if (!strcmp(slave->dev->name, name))
			to = slave;
	if (!to) {
		netdev_err(bond->dev, "slb_migrate: %s is not a slave of this bond\n",
			   name);
		return -ENODEV;
	}
	if (!slb_usable(to)) {
		netdev_err(bond->dev, "slb_migrate: slave %s is down\n", name);
		return -ENETDOWN;
	}
	b = slb_hash(slb, slb_mac_vlan_key(mac, vid)) & (SLB_BUCKETS - 1);
	mutex_lock(&slb->lock);
	for (i = 0; i < slb->nslaves && slb->slaves[i] != to; i++)
		;
	if (i < slb->nslaves) {
		slb->plan[0].bucket = b;
		slb->plan[0].to = i;
		slb->plan[0].from = SLB_NO_SLAVE;
		/* waits for a gap like any planned move */
		slb_apply(slb, 1, true);
	}
	mod_delayed_work(bond->wq, &slb->work, 0);
	mutex_unlock(&slb->lock);
	netdev_info(bond->dev, "balance-slb: %pM vlan %u (bucket %u) moves to %s\n",
		    mac, vid, b, name);
	return 0;

usage:
	netdev_err(bond->dev, "slb_migrate: expected \"<MAC> [<vid>] <slave>\", got \"%s\"\n",
		   newval->string);
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* netlink (IFLA_BOND_SLB_*, IFLA_BOND_SLAVE_SLB_*)                     */

/*
 * The options over netlink go through bonding's option table like every
 * other attribute, so they meet the sysfs and module parameter parser.
 * Their ranges are checked in ->validate, before bond_changelink() applies
 * anything of the request: a bad value changes nothing, and extack names
 * the option and its range.
 */
static const struct {
	u16 attr;
	u16 opt;			/* BOND_OPT_SLB_* */
	const struct slb_u32_opt *range;
} slb_nl_opts[] = {
	{ IFLA_BOND_SLB_REBALANCE_INTERVAL, BOND_OPT_SLB_REBALANCE_INTERVAL,
	  &slb_opt_interval },
	{ IFLA_BOND_SLB_MOVE_GAP, BOND_OPT_SLB_MOVE_GAP, &slb_opt_gap },
	{ IFLA_BOND_SLB_MOVE_COOLDOWN, BOND_OPT_SLB_MOVE_COOLDOWN,
	  &slb_opt_cooldown },
	{ IFLA_BOND_SLB_MAC_TABLE_SIZE, BOND_OPT_SLB_MAC_TABLE_SIZE,
	  &slb_opt_mac_table },
};

/* The provisional numbers must stay above upstream's own. */
static_assert(IFLA_BOND_MAX < IFLA_BOND_SLB_REBALANCE_INTERVAL);
static_assert(IFLA_BOND_SLAVE_MAX < IFLA_BOND_SLAVE_SLB_BUCKETS);

/* extack keeps the message's pointer: string literals only */
static void slb_nl_range_error(struct netlink_ext_ack *extack,
			       const struct nlattr *a)
{
	switch (nla_type(a)) {
	case IFLA_BOND_SLB_REBALANCE_INTERVAL:
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "slb_rebalance_interval: 0 (never) or 100 to 86400000 ms");
		break;
	case IFLA_BOND_SLB_MOVE_GAP:
		NL_SET_ERR_MSG_ATTR(extack, a, "slb_move_gap: 0 to 1000 ms");
		break;
	case IFLA_BOND_SLB_MOVE_COOLDOWN:
		NL_SET_ERR_MSG_ATTR(extack, a, "slb_move_cooldown: 0 to 86400000 ms");
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "slb_mac_table_size: a power of two from 256 to 65536");
	}
}

int bond_slb_nl_validate(struct nlattr *data[], struct netlink_ext_ack *extack)
{
	unsigned int i;

	if (!data)
		return 0;
	for (i = 0; i < ARRAY_SIZE(slb_nl_opts); i++) {
		const struct nlattr *a = data[slb_nl_opts[i].attr];

		if (a && !slb_u32_ok(slb_nl_opts[i].range, nla_get_u32(a))) {
			slb_nl_range_error(extack, a);
			return -ERANGE;
		}
	}
	return 0;
}

int bond_slb_changelink(struct bonding *bond, struct nlattr *data[],
			struct netlink_ext_ack *extack)
{
	struct bond_opt_value newval;
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(slb_nl_opts); i++) {
		struct nlattr *a = data[slb_nl_opts[i].attr];

		if (!a)
			continue;
		bond_opt_initval(&newval, nla_get_u32(a));
		err = __bond_opt_set(bond, slb_nl_opts[i].opt, &newval, a, extack);
		if (err)
			return err;
	}
	return 0;
}

size_t bond_slb_get_size(void)
{
	return ARRAY_SIZE(slb_nl_opts) * nla_total_size(sizeof(u32));
}

int bond_slb_fill_info(struct sk_buff *skb, const struct bonding *bond)
{
	const struct bond_slb_params *p = &bond->slb_params;

	if (BOND_MODE(bond) != BOND_MODE_SLB)
		return 0;
	if (nla_put_u32(skb, IFLA_BOND_SLB_REBALANCE_INTERVAL,
			READ_ONCE(p->rebalance_interval)) ||
	    nla_put_u32(skb, IFLA_BOND_SLB_MOVE_GAP, READ_ONCE(p->move_gap)) ||
	    nla_put_u32(skb, IFLA_BOND_SLB_MOVE_COOLDOWN,
			READ_ONCE(p->move_cooldown)) ||
	    nla_put_u32(skb, IFLA_BOND_SLB_MAC_TABLE_SIZE,
			READ_ONCE(p->mac_table_size)))
		return -EMSGSIZE;
	return 0;
}

size_t bond_slb_get_slave_size(void)
{
	return nla_total_size(sizeof(u32)) +		/* BUCKETS */
		3 * nla_total_size_64bit(sizeof(u64)) +	/* LOAD, MOVES_IN/OUT */
		nla_total_size(sizeof(u8));		/* LACP_PORT */
}

int bond_slb_fill_slave_info(struct sk_buff *skb, const struct slave *slave)
{
	if (BOND_MODE(slave->bond) != BOND_MODE_SLB)
		return 0;
	if (nla_put_u32(skb, IFLA_BOND_SLAVE_SLB_BUCKETS,
			atomic_read(&slave->slb.nbuckets)) ||
	    nla_put_u64_64bit(skb, IFLA_BOND_SLAVE_SLB_LOAD,
			      READ_ONCE(slave->slb.load),
			      IFLA_BOND_SLAVE_SLB_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_BOND_SLAVE_SLB_MOVES_IN,
			      atomic64_read(&slave->slb.moves_in),
			      IFLA_BOND_SLAVE_SLB_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_BOND_SLAVE_SLB_MOVES_OUT,
			      atomic64_read(&slave->slb.moves_out),
			      IFLA_BOND_SLAVE_SLB_PAD) ||
	    nla_put_u8(skb, IFLA_BOND_SLAVE_SLB_LACP_PORT,
		       test_bit(SLB_SLAVE_LACP, &slave->slb.flags)))
		return -EMSGSIZE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* /proc/net/bonding and debugfs                                       */

/* Called under rcu_read_lock(). */
void bond_slb_info_show(struct seq_file *seq, struct bonding *bond)
{
	struct bond_slb *slb = rcu_dereference(bond->slb);
	u32 iv = bond->slb_params.rebalance_interval;
	unsigned long now = jiffies;
	u64 cnt[SLB_CNT_MAX];
	u8 mac[ETH_ALEN];
	struct slave *rx;
	unsigned int i, known = 0;

	seq_puts(seq, "\nSource load balancing (balance-slb) info:\n");
	seq_printf(seq, "Rebalance interval: %u ms\n", iv);
	seq_printf(seq, "Move gap: %u ms\n", bond->slb_params.move_gap);
	seq_printf(seq, "Move cooldown: %u ms\n", bond->slb_params.move_cooldown);
	if (!slb) {
		seq_puts(seq, "State: bond is down\n");
		return;
	}
	if (iv) {
		unsigned long next = slb->last_rebalance + msecs_to_jiffies(iv);

		seq_printf(seq, "Next rebalance in: %u ms\n",
			   time_after(next, now) ? jiffies_to_msecs(next - now) : 0);
	} else {
		seq_puts(seq, "Next rebalance in: never\n");
	}
	rx = rcu_dereference(slb->rx_slave);
	seq_printf(seq, "Broadcast/multicast receive slave: %s\n",
		   rx ? rx->dev->name : "none");
	for (i = 0; i < slb->nmacs; i++)
		known += slb_mac_fresh(&slb->macs[i], now);
	slb_counts(slb, cnt);
	seq_printf(seq, "Known MACs: %u (table size %u, at most %u from one port)\n",
		   known, slb->nmacs, slb->src_limit);
	seq_printf(seq, "Total moves: %lld\n", (s64)atomic64_read(&slb->moves));
	seq_printf(seq, "Moves waiting for a gap: %u\n", READ_ONCE(slb->moves_waiting));
	seq_printf(seq, "Announcements sent: %llu\n", READ_ONCE(slb->announces));
	seq_printf(seq, "Looped-back frames dropped: %llu\n",
		   cnt[SLB_CNT_LOOPED]);
	seq_printf(seq, "Broadcast/multicast dropped on other slaves: %llu\n",
		   cnt[SLB_CNT_MCAST_DROPPED]);
	seq_printf(seq, "Dropped for lack of a usable slave: %llu\n",
		   cnt[SLB_CNT_NOSLAVE]);
	seq_printf(seq, "MACs not learned (table full): %llu\n",
		   cnt[SLB_CNT_MAC_FULL]);
	seq_printf(seq, "MACs not learned (their port holds its share): %llu\n",
		   cnt[SLB_CNT_MAC_LIMITED]);
	seq_printf(seq, "VM migrations seen: %llu\n",
		   cnt[SLB_CNT_MIGRATIONS]);
	seq_printf(seq, "Unicast copies dropped on other slaves: %llu\n",
		   cnt[SLB_CNT_FLOOD_DROPPED]);
	seq_printf(seq, "Duplicate broadcast/multicast dropped at receive slave changes: %llu\n",
		   cnt[SLB_CNT_MCAST_DUPS]);
	seq_printf(seq, "MAC conflicts (our MACs used behind the switch): %llu\n",
		   cnt[SLB_CNT_CONFLICTS]);
	seq_printf(seq, "Multicast reports sent via receive slave: %llu\n",
		   cnt[SLB_CNT_REPORTS]);
	seq_printf(seq, "General queries sent to VMs: %llu\n", READ_ONCE(slb->queries));
	u64_to_ether_addr(READ_ONCE(slb->report_mac), mac);
	seq_printf(seq, "Source MAC of multicast reports: %pM\n", mac);
}

void bond_slb_slave_info_show(struct seq_file *seq,
			      const struct slave *slave)
{
	if (!rcu_access_pointer(slave->bond->slb))
		return;
	seq_printf(seq, "SLB buckets: %d\n", atomic_read(&slave->slb.nbuckets));
	seq_printf(seq, "SLB load: %llu bytes/s\n", READ_ONCE(slave->slb.load));
	seq_printf(seq, "SLB moves in: %lld\n",
		   (s64)atomic64_read(&slave->slb.moves_in));
	seq_printf(seq, "SLB moves out: %lld\n",
		   (s64)atomic64_read(&slave->slb.moves_out));
	seq_printf(seq, "SLB switch port in a LAG (LACPDUs received): %s\n",
		   test_bit(SLB_SLAVE_LACP, &slave->slb.flags) ?
		   "yes - remove it from the LAG/LACP group" : "no");
}

static int slb_buckets_show(struct seq_file *seq, void *v)
{
	struct bonding *bond = seq->private;
	unsigned long now = jiffies;
	struct bond_slb *slb;
	unsigned int b, i;

	rcu_read_lock();
	slb = rcu_dereference(bond->slb);
	if (!slb) {
		seq_puts(seq, "# not an active balance-slb bond\n");
		goto out;
	}
	seq_puts(seq, "# bucket slave load_Bps since_move_ms moves next macs(mac/vlan)\n");
	for (b = 0; b < SLB_BUCKETS; b++) {
		struct slave *s = rcu_dereference(slb->bucket[b].slave), *next;
		struct slb_bucket *bk = &slb->bucket[b];

		if (!s)
			continue;
		seq_printf(seq, "%u %s %llu ", b, s->dev->name, READ_ONCE(bk->load));
		if (bk->moved_ever)
			seq_printf(seq, "%u", jiffies_to_msecs(now - bk->moved));
		else
			seq_puts(seq, "never");
		next = rcu_dereference(bk->next);
		seq_printf(seq, " %u %s", READ_ONCE(bk->nmoves),
			   next ? next->dev->name : "-");
		for (i = 0; i < slb->nmacs; i++) {
			struct slb_mac *m = &slb->macs[i];
			u64 key = READ_ONCE(m->key);
			u8 mac[ETH_ALEN];
			int j;

			if (!slb_mac_fresh(m, now) || READ_ONCE(m->bucket) != b)
				continue;
			for (j = 0; j < ETH_ALEN; j++)
				mac[j] = key >> (8 * (ETH_ALEN - 1 - j));
			seq_printf(seq, " %pM/%u", mac, (u16)(key >> 48));
		}
		seq_putc(seq, '\n');
	}
out:
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(slb_buckets);

/*
 * bonding/<bond>/slb_buckets.  Debian's kernels have CONFIG_NET_NS, which
 * compiles bonding's own debugfs out (bond names are per namespace), so
 * we keep the directory ourselves while a balance-slb bond is up: a bond
 * cannot be renamed while up.  Bonds outside init_net get "@<netns inode>".
 */
static DEFINE_MUTEX(slb_debugfs_lock);
static struct dentry *slb_debugfs_root;
static bool slb_debugfs_root_ours;
static unsigned int slb_debugfs_users;

static void slb_debugfs_add(struct bond_slb *slb)
{
	struct net_device *dev = slb->bond->dev;
	char name[IFNAMSIZ + 16];
	struct dentry *dir;

	mutex_lock(&slb_debugfs_lock);
	if (!slb_debugfs_users++) {
		slb_debugfs_root = debugfs_lookup("bonding", NULL);
		slb_debugfs_root_ours = !slb_debugfs_root;
		if (!slb_debugfs_root)
			slb_debugfs_root = debugfs_create_dir("bonding", NULL);
	}
	if (net_eq(dev_net(dev), &init_net))
		strscpy(name, dev->name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s@%u", dev->name,
			 dev_net(dev)->ns.inum);
	dir = debugfs_lookup(name, slb_debugfs_root);
	if (dir) {
		/* bonding's own directory (kernels without netns) */
		dput(dir);
	} else {
		dir = debugfs_create_dir(name, slb_debugfs_root);
		slb->dbg_dir = dir;
	}
	slb->dbg_file = debugfs_create_file("slb_buckets", 0400, dir,
					    slb->bond, &slb_buckets_fops);
	mutex_unlock(&slb_debugfs_lock);
}

static void slb_debugfs_remove(struct bond_slb *slb)
{
	mutex_lock(&slb_debugfs_lock);
	debugfs_remove(slb->dbg_file);
	debugfs_remove(slb->dbg_dir);
	if (!--slb_debugfs_users) {
		if (slb_debugfs_root_ours)
			debugfs_remove(slb_debugfs_root);
		else
			dput(slb_debugfs_root);
		slb_debugfs_root = NULL;
	}
	mutex_unlock(&slb_debugfs_lock);
}
