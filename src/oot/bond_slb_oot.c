// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb, out of tree only: what the bonding.ko built by this project
 * has beyond the upstream series (patches/oot/ hooks these in).
 *
 * - module parameters for the defaults of new bonds;
 * - slb_migrate, a sysfs action that moves one MAC's bucket (tests, and
 *   admins who want to place a VM by hand);
 * - a debugfs directory of our own: Debian's kernels have CONFIG_NET_NS,
 *   which compiles bonding's own debugfs out (bond_debugfs.c);
 * - MODULE_VERSION.
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rtnetlink.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "bond_slb_priv.h"
#include "bond_slb_parse.h"

MODULE_VERSION(BOND_SLB_VERSION);

/* The provisional numbers (bond_slb_compat.h) must stay above upstream's. */
static_assert(IFLA_BOND_MAX < IFLA_BOND_SLB_REBALANCE_INTERVAL);
static_assert(IFLA_BOND_SLAVE_MAX < IFLA_BOND_SLAVE_SLB_BUCKETS);

/* module parameters: the defaults of new bonds, range checked */
struct slb_param {
	u32 *val;
	const struct bond_slb_range *range;
};

static int slb_param_set(const char *val, const struct kernel_param *kp)
{
	const struct slb_param *p = kp->arg;
	unsigned int v;
	int err;

	err = kstrtouint(val, 10, &v);
	if (err)
		return err;
	if (!bond_slb_in_range(p->range, v))
		return -ERANGE;
	*p->val = v;
	return 0;
}

static int slb_param_get(char *buf, const struct kernel_param *kp)
{
	const struct slb_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", *p->val);
}

static const struct kernel_param_ops slb_param_ops = {
	.set = slb_param_set,
	.get = slb_param_get,
};

static struct slb_param slb_rebalance_interval = {
	&bond_slb_defaults.rebalance_interval, &bond_slb_range_interval
};
module_param_cb(slb_rebalance_interval, &slb_param_ops,
		&slb_rebalance_interval, 0444);
MODULE_PARM_DESC(slb_rebalance_interval,
		 "balance-slb: ms between rebalancing runs, 0 = never, 100..86400000 (default 10000)");

static struct slb_param slb_move_gap = {
	&bond_slb_defaults.move_gap, &bond_slb_range_gap
};
module_param_cb(slb_move_gap, &slb_param_ops, &slb_move_gap, 0444);
MODULE_PARM_DESC(slb_move_gap,
		 "balance-slb: ms a bucket's traffic must pause before it moves, 0 = move at once, 0..1000 (default 50)");

static struct slb_param slb_move_cooldown = {
	&bond_slb_defaults.move_cooldown, &bond_slb_range_cooldown
};
module_param_cb(slb_move_cooldown, &slb_param_ops, &slb_move_cooldown, 0444);
MODULE_PARM_DESC(slb_move_cooldown,
		 "balance-slb: ms a moved bucket stays on its slave before rebalancing may move it again, 0..86400000 (default 60000)");

static struct slb_param slb_mac_table_size = {
	&bond_slb_defaults.mac_table_size, &bond_slb_range_mac_table
};
module_param_cb(slb_mac_table_size, &slb_param_ops, &slb_mac_table_size, 0444);
MODULE_PARM_DESC(slb_mac_table_size,
		 "balance-slb: MACs a bond remembers, a power of two, 256..65536 (default 4096)");

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
		bond_slb_moves_apply(slb, 1, true);
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

/*
 * bonding/<bond>/slb_buckets.  Kept while a balance-slb bond is up: a bond
 * cannot be renamed while up.  Bonds outside init_net get "@<netns inode>".
 * Where bonding's own debugfs is built (no CONFIG_NET_NS), its directory
 * has the file already (bond_debugfs.c).
 */
#if IS_ENABLED(CONFIG_DEBUG_FS) && IS_ENABLED(CONFIG_NET_NS)
static DEFINE_MUTEX(slb_debugfs_lock);
static struct dentry *slb_debugfs_root;
static bool slb_debugfs_root_ours;
static unsigned int slb_debugfs_users;

static void slb_debugfs_name(const struct net_device *dev, char *name,
			     size_t len)
{
	if (net_eq(dev_net(dev), &init_net))
		strscpy(name, dev->name, len);
	else
		snprintf(name, len, "%s@%u", dev->name, dev_net(dev)->ns.inum);
}

void bond_slb_oot_up(struct bonding *bond)
{
	char name[IFNAMSIZ + 16];

	if (BOND_MODE(bond) != BOND_MODE_SLB)
		return;
	mutex_lock(&slb_debugfs_lock);
	if (!slb_debugfs_users++) {
		slb_debugfs_root = debugfs_lookup("bonding", NULL);
		slb_debugfs_root_ours = !slb_debugfs_root;
		if (!slb_debugfs_root)
			slb_debugfs_root = debugfs_create_dir("bonding", NULL);
	}
	slb_debugfs_name(bond->dev, name, sizeof(name));
	bond_slb_debugfs_register(bond, debugfs_create_dir(name, slb_debugfs_root));
	mutex_unlock(&slb_debugfs_lock);
}

void bond_slb_oot_down(struct bonding *bond)
{
	char name[IFNAMSIZ + 16];

	if (BOND_MODE(bond) != BOND_MODE_SLB)
		return;
	mutex_lock(&slb_debugfs_lock);
	slb_debugfs_name(bond->dev, name, sizeof(name));
	debugfs_lookup_and_remove(name, slb_debugfs_root);
	if (!--slb_debugfs_users) {
		if (slb_debugfs_root_ours)
			debugfs_remove(slb_debugfs_root);
		else
			dput(slb_debugfs_root);
		slb_debugfs_root = NULL;
	}
	mutex_unlock(&slb_debugfs_lock);
}
#else
void bond_slb_oot_up(struct bonding *bond)
{
}

void bond_slb_oot_down(struct bonding *bond)
{
}
#endif
