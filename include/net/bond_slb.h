/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * balance-slb: source-MAC load balancing for the bonding driver.
 *
 * Included from (our patched) net/bonding.h: it only declares what the
 * bonding core needs to call into bond_slb.c and the fields appended to
 * struct bonding and struct slave.
 */
#ifndef _NET_BOND_SLB_H
#define _NET_BOND_SLB_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/atomic.h>

/* Upstream uses 0..6; 7 is free in every kernel we target. */
#define BOND_MODE_SLB		7

/*
 * Netlink attributes, PROVISIONAL: the numbers the upstream series
 * proposes, the next free ones after IFLA_BOND_LACP_STRICT (34) and
 * IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE (12) of Linux 7.3.  They hold
 * only until upstream assigns numbers.  On a kernel whose IFLA_BOND_MAX is
 * lower (32 on Debian's 6.1 and 6.12), the upstream attributes in between
 * (33, 34) are accepted and ignored.
 */
#define IFLA_BOND_SLB_REBALANCE_INTERVAL	35	/* u32, ms, 0 = never */
#define IFLA_BOND_SLB_MOVE_GAP			36	/* u32, ms */
#define IFLA_BOND_SLB_MOVE_COOLDOWN		37	/* u32, ms */
#define IFLA_BOND_SLB_MAC_TABLE_SIZE		38	/* u32, power of two */
#define BOND_SLB_IFLA_MAX			IFLA_BOND_SLB_MAC_TABLE_SIZE

/* per slave, read only */
#define IFLA_BOND_SLAVE_SLB_BUCKETS		13	/* u32 */
#define IFLA_BOND_SLAVE_SLB_LOAD		14	/* u64, bytes/s */
#define IFLA_BOND_SLAVE_SLB_MOVES_IN		15	/* u64 */
#define IFLA_BOND_SLAVE_SLB_MOVES_OUT		16	/* u64 */
#define IFLA_BOND_SLAVE_SLB_LACP_PORT		17	/* u8, LACPDUs received */
#define IFLA_BOND_SLAVE_SLB_PAD			18

#define BOND_SLB_VERSION	"0.1.0+slb"

struct bonding;
struct slave;
struct seq_file;
struct bond_opt_value;
struct device;
struct device_attribute;

/* Appended to struct bonding: options, valid whatever the current mode. */
struct bond_slb_params {
	u32 rebalance_interval;		/* ms, 0 = never */
	u32 move_gap;			/* ms of idle before a move, 0 = none */
	u32 move_cooldown;		/* ms a moved bucket stays put */
	u32 mac_table_size;		/* MACs remembered, from the next open */
};

/* slb_slave_info.flags */
#define SLB_SLAVE_LACP		0	/* receives LACPDUs: its port is in a LAG */

/* Appended to struct slave. */
struct slb_slave_info {
	atomic64_t moves_in;
	atomic64_t moves_out;
	u64 load;		/* bytes/s over its buckets */
	u64 util;		/* load per link speed, for placement */
	atomic_t nbuckets;
	bool leaving;		/* being released: take no new buckets */
	unsigned long flags;	/* SLB_SLAVE_* bits */
	unsigned long lacp_until; /* jiffies: LACPDUs expected until then */
};

struct bond_slb;

/* Hooks called from the bonding core (bond_main.c and friends). */
void bond_slb_setup(struct bonding *bond);
int bond_slb_open(struct bonding *bond);
void bond_slb_close(struct bonding *bond);
int bond_slb_can_enslave(struct bonding *bond, struct net_device *slave_dev,
			 struct netlink_ext_ack *extack);
void bond_slb_slave_added(struct bonding *bond, struct slave *slave);
void bond_slb_slave_removing(struct bonding *bond, struct slave *slave);
void bond_slb_link_change(struct bonding *bond, struct slave *slave, char link);
void bond_slb_carrier_event(struct bonding *bond, struct slave *slave);
void bond_slb_reselect(struct bonding *bond);
bool bond_slb_deliver_exact(struct sk_buff *skb, struct bonding *bond,
			    struct slave *slave);
netdev_tx_t bond_slb_xmit(struct sk_buff *skb, struct net_device *bond_dev);
struct slave *bond_slb_xmit_slave_get(struct bonding *bond,
				      struct sk_buff *skb);
void bond_slb_info_show(struct seq_file *seq, struct bonding *bond);
void bond_slb_slave_info_show(struct seq_file *seq,
			      const struct slave *slave);

/* Netlink: rows of bond_netlink.c's policy, ->validate, changelink, fill. */
struct nlattr;
int bond_slb_nl_validate(struct nlattr *data[], struct netlink_ext_ack *extack);
int bond_slb_changelink(struct bonding *bond, struct nlattr *data[],
			struct netlink_ext_ack *extack);
size_t bond_slb_get_size(void);
int bond_slb_fill_info(struct sk_buff *skb, const struct bonding *bond);
size_t bond_slb_get_slave_size(void);
int bond_slb_fill_slave_info(struct sk_buff *skb, const struct slave *slave);

/* Options: rows of bond_options.c's table and bond_sysfs.c's attributes. */
int bond_slb_opt_interval_set(struct bonding *bond,
			      const struct bond_opt_value *newval);
int bond_slb_opt_gap_set(struct bonding *bond,
			 const struct bond_opt_value *newval);
int bond_slb_opt_cooldown_set(struct bonding *bond,
			      const struct bond_opt_value *newval);
int bond_slb_opt_mac_table_set(struct bonding *bond,
			       const struct bond_opt_value *newval);
int bond_slb_opt_migrate_set(struct bonding *bond,
			     const struct bond_opt_value *newval);
ssize_t bond_slb_interval_show(struct device *d, struct device_attribute *attr,
			       char *buf);
ssize_t bond_slb_gap_show(struct device *d, struct device_attribute *attr,
			  char *buf);
ssize_t bond_slb_cooldown_show(struct device *d, struct device_attribute *attr,
			       char *buf);
ssize_t bond_slb_mac_table_show(struct device *d, struct device_attribute *attr,
				char *buf);

#endif /* _NET_BOND_SLB_H */
