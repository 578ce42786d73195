// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb options: rows of bonding's option table (bond_options.c),
 * so that sysfs and netlink meet the same parser and range checks.
 */

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/rtnetlink.h>
#include <linux/workqueue.h>

#include "bond_slb_priv.h"

/* One range check for sysfs, netlink and the defaults of new bonds. */
const struct bond_slb_range bond_slb_range_interval = {
	"slb_rebalance_interval", SLB_MIN_INTERVAL_MS, SLB_MAX_INTERVAL_MS, true
};

const struct bond_slb_range bond_slb_range_gap = {
	"slb_move_gap", 1, SLB_MAX_GAP_MS, true
};

const struct bond_slb_range bond_slb_range_cooldown = {
	"slb_move_cooldown", 1, SLB_MAX_INTERVAL_MS, true
};

const struct bond_slb_range bond_slb_range_mac_table = {
	"slb_mac_table_size", SLB_MAC_SLOTS_MIN, SLB_MAC_SLOTS_MAX, false, true
};

bool bond_slb_in_range(const struct bond_slb_range *o, u64 v)
{
	if (!v)
		return o->zero;
	return v >= o->min && v <= o->max && (!o->pow2 || is_power_of_2(v));
}

/*
 * The options take their text raw (BOND_OPTFLAG_RAWVAL): bonding's parser
 * reads "10 20" as 10 and matches that against its table rows, so "4096
 * 8192" would pass as 4096.  Exactly one decimal number in range, or an
 * error naming the option and its range, and nothing changes.
 */
static int slb_opt_u32(struct bonding *bond, const struct bond_opt_value *newval,
		       const struct bond_slb_range *o, u32 *out)
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
	if (!bond_slb_in_range(o, v)) {
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

	err = slb_opt_u32(bond, newval, &bond_slb_range_interval, &v);
	if (err)
		return err;
	WRITE_ONCE(bond->slb_params.rebalance_interval, v);
	if (slb) {
		/* a new interval counts from now */
		mutex_lock(&slb->lock);
		slb->last_rebalance = jiffies;
		mutex_unlock(&slb->lock);
		mod_delayed_work(bond->wq, &slb->work, bond_slb_period(bond));
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

	err = slb_opt_u32(bond, newval, &bond_slb_range_gap, &v);
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

	err = slb_opt_u32(bond, newval, &bond_slb_range_cooldown, &v);
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

	err = slb_opt_u32(bond, newval, &bond_slb_range_mac_table, &v);
	if (err)
		return err;
	/* the same size again changes nothing: a tool reapplying a config */
	if (rtnl_dereference(bond->slb) && v != bond->slb_params.mac_table_size) {
		netdev_err(bond->dev, "slb_mac_table_size: the bond is up; set it while the bond is down\n");
		return -EBUSY;
	}
	bond->slb_params.mac_table_size = v;
	return 0;
}

/* sysfs: bonding_sysfs_store_option() sets, these show */
static struct bonding *slb_bond_of(struct device *d)
{
	return netdev_priv(to_net_dev(d));
}

ssize_t bond_slb_interval_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  slb_bond_of(d)->slb_params.rebalance_interval);
}

ssize_t bond_slb_gap_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", slb_bond_of(d)->slb_params.move_gap);
}

ssize_t bond_slb_cooldown_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%u\n", slb_bond_of(d)->slb_params.move_cooldown);
}

ssize_t bond_slb_mac_table_show(struct device *d, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", slb_bond_of(d)->slb_params.mac_table_size);
}
