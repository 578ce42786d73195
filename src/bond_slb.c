// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb: source-MAC load balancing for the bonding driver.
 *
 * Every transmitted frame is placed by its source MAC and VLAN, so one VM
 * always leaves through one slave and the switch learns it on one port;
 * no MAC is rewritten and the switch needs no configuration.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <net/bonding.h>
#include <net/bond_slb.h>

#include "bond_slb_core.h"

MODULE_VERSION(BOND_SLB_VERSION);

struct bond_slb {
	struct bonding *bond;
	/* per-bond random key: a guest cannot pick colliding MACs */
	siphash_key_t key;
	struct rcu_head rcu;
};

void bond_slb_setup(struct bonding *bond)
{
	RCU_INIT_POINTER(bond->slb, NULL);
}

int bond_slb_open(struct bonding *bond)
{
	struct bond_slb *slb;

	slb = kzalloc(sizeof(*slb), GFP_KERNEL);
	if (!slb)
		return -ENOMEM;
	slb->bond = bond;
	get_random_bytes(&slb->key, sizeof(slb->key));
	rcu_assign_pointer(bond->slb, slb);
	return 0;
}

void bond_slb_close(struct bonding *bond)
{
	struct bond_slb *slb = rtnl_dereference(bond->slb);

	if (!slb)
		return;
	RCU_INIT_POINTER(bond->slb, NULL);
	kfree_rcu(slb, rcu);
}

void bond_slb_slave_added(struct bonding *bond, struct slave *slave)
{
	memset(&slave->slb, 0, sizeof(slave->slb));
}

void bond_slb_slave_removing(struct bonding *bond, struct slave *slave)
{
	/* the core already dropped it from usable_slaves */
}

void bond_slb_link_change(struct bonding *bond, struct slave *slave, char link)
{
	/* usable_slaves was rebuilt by the caller */
}

/* The placement key of a frame: source MAC and VLAN ID (0 untagged). */
static bool slb_frame_key(struct sk_buff *skb, u64 *key)
{
	const struct ethhdr *eth;
	u16 vid = 0;

	if (!pskb_may_pull(skb, ETH_HLEN))
		return false;
	eth = eth_hdr(skb);
	if (skb_vlan_tag_present(skb)) {
		vid = skb_vlan_tag_get_id(skb);
	} else if (eth_type_vlan(eth->h_proto)) {
		const struct vlan_ethhdr *veth;

		if (!pskb_may_pull(skb, VLAN_ETH_HLEN))
			return false;
		veth = skb_vlan_eth_hdr(skb);
		vid = ntohs(veth->h_vlan_TCI) & VLAN_VID_MASK;
		eth = eth_hdr(skb);
	}
	*key = slb_mac_vlan_key(eth->h_source, vid);
	return true;
}

static unsigned int slb_bucket_of(const struct bond_slb *slb, u64 key)
{
	return siphash_1u64(key, &slb->key) & (SLB_BUCKETS - 1);
}

/* Called under RCU (ndo_start_xmit, ndo_get_xmit_slave). */
struct slave *bond_slb_xmit_slave_get(struct bonding *bond,
				      struct sk_buff *skb)
{
	struct bond_slb *slb = rcu_dereference(bond->slb);
	struct bond_up_slave *slaves;
	unsigned int count;
	u64 key;

	if (!slb || !slb_frame_key(skb, &key))
		return NULL;
	slaves = rcu_dereference(bond->usable_slaves);
	count = slaves ? READ_ONCE(slaves->count) : 0;
	if (!count)
		return NULL;
	return slaves->arr[slb_bucket_of(slb, key) % count];
}

netdev_tx_t bond_slb_xmit(struct sk_buff *skb, struct net_device *bond_dev)
{
	struct bonding *bond = netdev_priv(bond_dev);
	struct slave *slave;

	slave = bond_slb_xmit_slave_get(bond, skb);
	if (likely(slave))
		return bond_dev_queue_xmit(bond, skb, slave->dev);
	return bond_tx_drop(bond_dev, skb);
}

void bond_slb_info_show(struct seq_file *seq, struct bonding *bond)
{
	seq_puts(seq, "\nSource load balancing info:\n");
	seq_printf(seq, "Placement key: source MAC + VLAN, %u buckets\n",
		   SLB_BUCKETS);
}

void bond_slb_slave_info_show(struct seq_file *seq,
			      const struct slave *slave)
{
}
