/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * balance-slb: what its files share.  The mode's state (struct bond_slb)
 * and the helpers the transmit and receive paths inline.  Each concern has
 * its file:
 *
 *   bond_slb.c           the mode's life: open, close, slave and link
 *                        events, and the periodic work
 *   bond_slb_tx.c        transmit: bucket of a frame, learning the MACs
 *   bond_slb_rx.c        receive: which slave accepts what, loop filter,
 *                        LACP port detection
 *   bond_slb_move.c      load measurement and bucket moves, the only code
 *                        that touches a planned move's state
 *   bond_slb_announce.c  telling the switch where a MAC went
 *   bond_slb_mcast.c     multicast reports, queries and queriers
 *   bond_slb_options.c   option values and their ranges
 *   bond_slb_netlink.c   IFLA_BOND_SLB_* and IFLA_BOND_SLAVE_SLB_*
 *   bond_slb_info.c      /proc/net/bonding and debugfs
 *   bond_slb_core.c      the placement and rebalancing algorithms, with
 *                        no kernel dependencies (unit tested in userspace)
 */
#ifndef _BOND_SLB_PRIV_H
#define _BOND_SLB_PRIV_H

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/in6.h>
#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>
#include <net/bonding.h>
#include <net/bond_slb.h>

#include "bond_slb_core.h"

#define SLB_SAMPLE_MS		1000	/* load measurement period */
#define SLB_MIN_INTERVAL_MS	100	/* shortest non-zero interval */
#define SLB_MAX_INTERVAL_MS	86400000 /* one day */
#define SLB_DEFAULT_INTERVAL_MS	10000
#define SLB_DEFAULT_COOLDOWN_MS	60000	/* a moved bucket stays put: a minute */
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
#define SLB_SEEN_STAMP_MS	250	/* a MAC's last-seen time, this coarse */
#define SLB_SILENT_MS		1000	/* silent this long: not a reflection */
#define SLB_RX_SWITCH_MS	100	/* both accept after a receive slave change */
#define SLB_RX_RECENT		32	/* broadcasts each CPU remembers */
#define SLB_CONFLICT_MS		30000	/* a MAC also used outside: no loop filter */
#define SLB_ANNOUNCE_RATE	1024	/* announcements per second */
#define SLB_ANNOUNCE_BURST	128	/* at once: well inside a tx queue */
#define SLB_KEY_BUSY		(~0ULL)	/* slot being filled; never a real key */
#define SLB_KEY_DEAD		(~0ULL - 1) /* slot forgotten; probes go on */
#define SLB_LACP_SUBTYPE	1	/* slow protocols subtype of LACP */
#define SLB_LACP_STATE_OFF	18	/* actor state, from the subtype byte */
#define SLB_LACP_SHORT_TIMEOUT	0x02	/* actor state: fast (1 s) LACPDUs */
#define SLB_QUERY_REPEAT	2	/* general queries after a receive slave change */
#define SLB_QUERY_VLANS		64	/* VLANs queried at most */
#define SLB_QUERIER_MS		255000	/* other querier present interval */
#define SLB_REPORT_BUDGET	256	/* reports a second, per sender */

struct slb_mac {
	u64 key;			/* slb_mac_vlan_key(); 0 = never used */
	unsigned long seen;		/* jiffies of the last frame sent */
	unsigned long announced;	/* jiffies: last announcement, ours or its own */
	unsigned long conflict;		/* jiffies: last frame from it outside, or 0 */
	u16 bucket;
	u16 src;			/* slb->src[] it was learned from */
};

/* A consistent copy of one slot: the key is checked again after the rest. */
struct slb_mac_snap {
	u64 key;
	unsigned long seen;
	unsigned long announced;
	unsigned long conflict;
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
	u32 id;			/* slb_src_id(); 0 = free */
	atomic_t macs;		/* its fresh MACs, recounted every second */
	unsigned long claimed;	/* jiffies */
	/* its membership reports in the second that began at reports_at */
	atomic_t reports;
	unsigned long reports_at;
};

/* What transmit reads of a bucket per frame: four to a cache line. */
struct slb_tx_bucket {
	struct slave __rcu *slave;
	struct slave __rcu *planned;	/* a planned move, waiting for a gap */
};

/* The rest of a bucket: written by the control path, not per frame. */
struct slb_bucket {
	/* while a move waits: a recent frame, or SLB_PAUSE_TAKEN */
	atomic64_t last_tx_ns;
	atomic64_t move_since_ns;	/* when that move was planned */
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
	/*
	 * jiffies: a MAC of this bucket was sent but not learned (table
	 * full, or its port's share).  No announcement can tell the switch
	 * where such a MAC went, so after a move its old slave accepts for
	 * as long as a switch remembers a MAC (SLB_MAC_AGE_MS).
	 */
	unsigned long unlearned;
};

/* What bond_slb_tx_mcast() makes of a multicast frame. */
enum slb_mc {
	SLB_MC_NONE,		/* not a report: placed as any frame */
	SLB_MC_REPORT,		/* a report: via the receive slave */
	SLB_MC_OVER,		/* a report over its sender's budget: dropped */
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
	SLB_CNT_REPORT_BYTES,	/* bytes of reports sent via the receive slave */
	SLB_CNT_REPORTS_OVER,	/* reports dropped: over their sender's budget */
	SLB_CNT_MAX
};

struct slb_pcpu {
	u64_stats_t bytes[SLB_BUCKETS];
	u64_stats_t cnt[SLB_CNT_MAX];
	struct u64_stats_sync syncp;
	/*
	 * The broadcast/multicast frames this CPU passed up last: fingerprint,
	 * slave and time (bond_slb_rx.c).  Written by this CPU only, read by
	 * all around a receive slave change.
	 */
	u64 rx_recent[SLB_RX_RECENT];
	unsigned int rx_recent_next;
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

/*
 * The mode's state, one per bond (bond->slb), grouped by who writes each
 * part.  "lock" is slb->lock: it serialises the control path (the work,
 * slave and link events, options, slb_migrate).  Transmit and receive
 * write only what says so, with WRITE_ONCE, atomics or per-CPU data.
 */
struct bond_slb {
	/* Set at open; read by every frame. */
	struct bonding *bond;
	/*
	 * Per-bond random seed of slb_key_hash(): a guest cannot aim its MACs
	 * at one bucket or MAC table slot.
	 */
	u64 seed;
	struct slb_pcpu __percpu *pcpu;	/* each CPU writes its own */
	/*
	 * The MAC table: nmacs slots (a power of two) that transmit learns
	 * into and receive reads; src[] the sources (host ports) that own
	 * them, claimed by transmit, recounted by the work under lock with
	 * src_count[] as scratch; one source holds at most src_limit.  src[]
	 * is written when a MAC is learned or a report counted: not on the
	 * line that every frame reads.
	 */
	struct slb_mac *macs;
	unsigned int nmacs;
	unsigned int src_limit;
	struct slb_src src[SLB_SRC_SLOTS + 1] ____cacheline_aligned_in_smp;
	u32 src_count[SLB_SRC_SLOTS + 1];

	/*
	 * The buckets, read per frame.  Moves write them (bond_slb_move.c,
	 * under lock, or transmit when a slave lost carrier or a planned
	 * move's gap came); bucket[] also holds what the work measures.
	 */
	struct slb_tx_bucket tx[SLB_BUCKETS] ____cacheline_aligned_in_smp;
	struct slb_bucket bucket[SLB_BUCKETS] ____cacheline_aligned_in_smp;

	/*
	 * The receive slave, chosen under RTNL and lock, read per frame
	 * (RCU).  Its changes (bond_slb_rx.c): a live previous receive slave
	 * still accepts until rx_switch_until; rx_switch_from is compared,
	 * never dereferenced, and NULL when no change is under way.  Until
	 * rx_check_until, every accepted broadcast/multicast is first looked
	 * for in the CPUs' rx_recent[]; a stand-in for a receive slave that
	 * lost its link pushes it on from the receive path, at most once a
	 * jiffy.  After a change (not the first: rx_ever), the work sends
	 * queries_left rounds of general queries.
	 */
	struct slave __rcu *rx_slave;
	struct slave *rx_switch_from;
	unsigned long rx_switch_until;
	unsigned long rx_check_until;
	bool rx_ever;
	unsigned int queries_left;

	/* The control path, under lock unless said otherwise. */
	struct delayed_work work;
	struct mutex lock;		/* see above */
	unsigned long last_sample;
	unsigned long last_rebalance;
	unsigned long failback_until;	/* a slave came: runs once a second */
	/* buckets whose MACs still have to be announced (set_bit, any path) */
	unsigned long announce_pending[BITS_TO_LONGS(SLB_BUCKETS)];
	/* buckets whose planned move the transmit path carried out */
	unsigned long move_done[BITS_TO_LONGS(SLB_BUCKETS)];
	unsigned int moves_waiting;	/* buckets with a planned move */
	/*
	 * The announcement pass (bond_slb_announce.c): buckets in it, the
	 * cursor (slots looked at since open; the slot is pos modulo the
	 * table size) and where each bucket joined; its rate limit's tokens.
	 */
	struct {
		unsigned long active[BITS_TO_LONGS(SLB_BUCKETS)];
		u32 pos;
		u32 from[SLB_BUCKETS];
	} ann;
	unsigned long tokens_at;
	unsigned int tokens;

	/*
	 * Multicast (bond_slb_mcast.c): the source of steered reports and of
	 * our queries (WRITE_ONCE, read by transmit and receive); the
	 * outside queriers heard, per VLAN, under querier_lock, which only
	 * queries take; the VLANs to query, scratch under lock.
	 */
	u64 report_mac;
	spinlock_t querier_lock;	/* queries only, never per frame */
	struct slb_vlan_queriers queriers[SLB_QUERY_VLANS];
	unsigned int queriers_used;
	unsigned long vids[BITS_TO_LONGS(VLAN_N_VID)];

	/* Totals for /proc: moves from any path, the rest under lock. */
	atomic64_t moves;
	u64 announces;
	u64 queries;

	/*
	 * The rebalancer's view and scratch, under lock: the usable slaves,
	 * the core's state, a run's plan, per-slave sums of one sample (too
	 * big for the stack), and the steered reports' byte counter at the
	 * last sample with their load (fixed on the receive slave).
	 */
	struct slave *slaves[SLB_MAX_SLAVES];
	unsigned int nslaves;
	struct slb_core core;
	struct slb_move plan[SLB_BUCKETS];
	u64 sum_load[SLB_MAX_SLAVES];
	u64 sum_place[SLB_MAX_SLAVES];
	u64 report_bytes_seen;
	u64 report_load;
};

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

static inline u64 slb_hash(const struct bond_slb *slb, u64 key)
{
	return slb_key_hash(key, slb->seed);
}

static inline u32 slb_slave_speed(const struct slave *slave)
{
	return slave->speed > 0 && slave->speed != SPEED_UNKNOWN ?
		slave->speed : 0;
}

/*
 * Can a bucket's frames go out on this slave?  The carrier bit is set by
 * the driver at once; operstate and slave->link follow later (linkwatch,
 * miimon), so the bit is tested per frame.  The usual case is decided
 * first, from the slave's first cache lines and its device's state word.
 */
static __always_inline bool slb_usable(const struct slave *slave)
{
	const struct net_device *dev;
	bool active;

	if (!slave || READ_ONCE(slave->slb.leaving))
		return false;
	dev = slave->dev;
	active = bond_is_active_slave((struct slave *)slave);
	if (likely(netif_running(dev) && netif_carrier_ok(dev) &&
		   slave->link == BOND_LINK_UP && active))
		return true;
	/* downdelay: the admin asked to keep using it until bonding gives up */
	return READ_ONCE(slave->bond->params.downdelay) &&
		netif_running(dev) && active &&
		(slave->link == BOND_LINK_UP || slave->link == BOND_LINK_FAIL);
}

/*
 * How long ago a jiffies stamp was, in ms: 64 bits, where
 * jiffies_to_msecs() wraps after 49.7 days and a bucket untouched for
 * that long would look just moved.
 */
static inline u64 slb_age_ms(unsigned long now, unsigned long then)
{
	return jiffies64_to_msecs((u64)(now - then));
}

static inline bool slb_in_conflict(unsigned long conflict, unsigned long now)
{
	return conflict &&
		time_before(now, conflict + msecs_to_jiffies(SLB_CONFLICT_MS));
}

/*
 * MAC table slots are open addressed, SLB_MAC_PROBES slots from the key's
 * hash.  A key lives before the first never used slot (key 0) of its
 * probe sequence, so a lookup stops there: a forgotten slot becomes
 * SLB_KEY_DEAD, not 0, and only the once-a-second walk gives slots back
 * as 0 (bond_slb_src_recount_free()).
 */
static inline bool slb_key_live(u64 key)
{
	return key && key < SLB_KEY_DEAD;
}

static inline bool slb_mac_fresh(const struct slb_mac *m, unsigned long now)
{
	u64 key = READ_ONCE(m->key);

	return slb_key_live(key) &&
		time_before(now, READ_ONCE(m->seen) +
			    msecs_to_jiffies(SLB_MAC_AGE_MS));
}

static inline void slb_key_to_mac(u64 key, u8 *mac)
{
	u64_to_ether_addr(key & GENMASK_ULL(47, 0), mac);
}

/* Does bucket bk's previous slave still accept its MACs' unicast? */
static inline bool slb_rx_grace(const struct slb_bucket *bk, unsigned long now)
{
	return READ_ONCE(bk->rx_prev) &&
		time_before(now, READ_ONCE(bk->rx_prev_until));
}

/* The old slave's grace from now on: longer, never shorter. */
static inline void slb_rx_grace_from(struct slb_bucket *bk, unsigned long now)
{
	unsigned long until = now + msecs_to_jiffies(SLB_RX_GRACE_MS);
	unsigned long u = READ_ONCE(bk->unlearned);

	if (u && time_before(now, u + msecs_to_jiffies(SLB_MAC_AGE_MS)))
		until = now + msecs_to_jiffies(SLB_MAC_AGE_MS);
	if (!READ_ONCE(bk->rx_prev) ||
	    time_after(until, READ_ONCE(bk->rx_prev_until)))
		WRITE_ONCE(bk->rx_prev_until, until);
}

/* bond_slb.c */
unsigned long bond_slb_period(const struct bonding *bond);

/* bond_slb_tx.c */
bool bond_slb_mac_read(const struct slb_mac *m, unsigned long now,
		       struct slb_mac_snap *snap);
bool bond_slb_arp_announces(const struct sk_buff *skb, __be16 proto,
			    unsigned int off, u64 key);
void bond_slb_src_recount_free(struct bond_slb *slb, unsigned long now);
struct slb_src *bond_slb_src_get(struct bond_slb *slb,
				 const struct sk_buff *skb, unsigned int *idx);

/* bond_slb_rx.c */
int bond_slb_recv(const struct sk_buff *skb, struct bonding *bond,
		  struct slave *slave);
struct slave *bond_slb_rx_slave_now(struct bonding *bond,
				    struct bond_slb *slb);
void bond_slb_update_rx_slave(struct bonding *bond, struct bond_slb *slb);
void bond_slb_rx_switch_close(struct bond_slb *slb, unsigned long now);
void bond_slb_lacp_expire(struct bond_slb *slb);

/* bond_slb_move.c */
void bond_slb_rx_handover(struct bond_slb *slb, unsigned int b,
			  struct slave *from);
bool bond_slb_kept_unless_leaving(struct bond_slb *slb, unsigned int b,
				  struct slave *to, struct slave *back);
struct slave *bond_slb_move_at_gap(struct bonding *bond, struct bond_slb *slb,
				   unsigned int b, struct slave *cur,
				   struct slave *to);
void bond_slb_moves_apply(struct bond_slb *slb, int n, bool planned);
void bond_slb_advance_moves(struct bond_slb *slb);
void bond_slb_rebalance(struct bond_slb *slb, int max_moves);
void bond_slb_evacuate(struct bond_slb *slb, struct slave *slave);
bool bond_slb_sample(struct bond_slb *slb, unsigned long now);

/* bond_slb_announce.c */
void bond_slb_announce_pending(struct bond_slb *slb);
unsigned int bond_slb_announce_waiting(struct bond_slb *slb);

/* bond_slb_mcast.c */
enum slb_mc bond_slb_tx_mcast(struct bonding *bond, struct bond_slb *slb,
			      const struct sk_buff *skb, __be16 proto,
			      unsigned int l3off, u16 vid, bool learn);
void bond_slb_rx_query(struct bond_slb *slb, const struct sk_buff *skb,
		       u16 vid);
void bond_slb_set_report_mac(struct bonding *bond, struct bond_slb *slb);
void bond_slb_send_queries(struct bond_slb *slb);
void bond_slb_queriers_expire(struct bond_slb *slb, unsigned long now);

/* bond_slb_options.c: the numeric options' ranges */
struct bond_slb_range {
	const char *name;
	u32 min;		/* smallest value but 0 */
	u32 max;
	bool zero;		/* 0 allowed: off, never or at once */
	bool pow2;
};

extern const struct bond_slb_range bond_slb_range_interval;
extern const struct bond_slb_range bond_slb_range_gap;
extern const struct bond_slb_range bond_slb_range_cooldown;
extern const struct bond_slb_range bond_slb_range_mac_table;
extern struct bond_slb_params bond_slb_defaults;
bool bond_slb_in_range(const struct bond_slb_range *r, u64 v);

#endif /* _BOND_SLB_PRIV_H */
