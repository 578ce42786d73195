// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb over netlink: IFLA_BOND_SLB_* set and report the options,
 * IFLA_BOND_SLAVE_SLB_* report each slave's share.
 */

#include <linux/kernel.h>
#include <net/netlink.h>

#include "bond_slb_priv.h"

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
	const struct bond_slb_range *range;
} slb_nl_opts[] = {
	{ IFLA_BOND_SLB_REBALANCE_INTERVAL, BOND_OPT_SLB_REBALANCE_INTERVAL,
	  &bond_slb_range_interval },
	{ IFLA_BOND_SLB_MOVE_GAP, BOND_OPT_SLB_MOVE_GAP, &bond_slb_range_gap },
	{ IFLA_BOND_SLB_MOVE_COOLDOWN, BOND_OPT_SLB_MOVE_COOLDOWN,
	  &bond_slb_range_cooldown },
	{ IFLA_BOND_SLB_MAC_TABLE_SIZE, BOND_OPT_SLB_MAC_TABLE_SIZE,
	  &bond_slb_range_mac_table },
};

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

		if (a && !bond_slb_in_range(slb_nl_opts[i].range, nla_get_u32(a))) {
			slb_nl_range_error(extack, a);
			return -ERANGE;
		}
	}
	return 0;
}

/*
 * Before bond_changelink() applies any attribute of the request: what
 * could only fail once applied fails now, so that a refused request
 * changes nothing.  That is a new table size while the bond is up (the
 * table is allocated when it goes up).
 */
int bond_slb_changelink_check(struct bonding *bond, struct nlattr *data[],
			      struct netlink_ext_ack *extack)
{
	const struct nlattr *a = data[IFLA_BOND_SLB_MAC_TABLE_SIZE];

	if (a && rtnl_dereference(bond->slb) &&
	    nla_get_u32(a) != bond->slb_params.mac_table_size) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "slb_mac_table_size: the bond is up; set it while the bond is down");
		return -EBUSY;
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
