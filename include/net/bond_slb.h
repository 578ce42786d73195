/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * balance-slb: source-MAC load balancing for the bonding driver.
 *
 * Included from net/bonding.h: what the bonding core calls, and the fields
 * of struct bonding and struct slave that belong to the mode.
 */
#ifndef _NET_BOND_SLB_H
#define _NET_BOND_SLB_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/atomic.h>

struct bonding;
struct slave;
struct seq_file;
struct dentry;
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
	u8 rx_id;		/* unique in its bond, tags received broadcasts */
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
void bond_slb_debugfs_register(struct bonding *bond, struct dentry *dir);

/* Netlink: rows of bond_netlink.c's policy, ->validate, changelink, fill. */
struct nlattr;
int bond_slb_nl_validate(struct nlattr *data[], struct netlink_ext_ack *extack);
int bond_slb_changelink_check(struct bonding *bond, struct nlattr *data[],
			      struct netlink_ext_ack *extack);
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
ssize_t bond_slb_interval_show(struct device *d, struct device_attribute *attr,
			       char *buf);
ssize_t bond_slb_gap_show(struct device *d, struct device_attribute *attr,
			  char *buf);
ssize_t bond_slb_cooldown_show(struct device *d, struct device_attribute *attr,
			       char *buf);
ssize_t bond_slb_mac_table_show(struct device *d, struct device_attribute *attr,
				char *buf);

#endif /* _NET_BOND_SLB_H */
