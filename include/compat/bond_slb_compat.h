/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Out of tree only, included before anything else in every bonding file
 * (Kbuild's -include): what the upstream series adds to the uapi headers,
 * and what differs between the kernels this module builds against
 * (Debian's 6.1, 6.12 and 7.x).  The upstream series needs none of it.
 */
#ifndef _BOND_SLB_COMPAT_H
#define _BOND_SLB_COMPAT_H

/* nothing included here: <linux/kernel.h> would define pr_fmt too early */

/* <uapi/linux/if_bonding.h>: upstream uses 0..6 */
#define BOND_MODE_SLB		7

/*
 * <uapi/linux/if_link.h>, PROVISIONAL: the numbers the upstream series
 * proposes, the next free ones after IFLA_BOND_LACP_STRICT (34) and
 * IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE (12) of Linux 7.3.  They hold
 * only until upstream assigns numbers.  On a kernel whose IFLA_BOND_MAX is
 * lower (32 on Debian's 6.1 and 6.12), the upstream attributes in between
 * (33, 34) are accepted and ignored; patches/oot/ sizes the policy.
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

/* the typed allocators came in 7.x; checkpatch there asks for them */
#ifndef BOND_SLB_HAVE_KVZALLOC_OBJ
#define kvzalloc_obj(P, GFP) kvzalloc(sizeof(P), GFP)
#endif

/* patches/oot/: bond_main.c and bond_options.c call into src/oot/ */
struct bonding;
struct bond_opt_value;
void bond_slb_oot_up(struct bonding *bond);
void bond_slb_oot_down(struct bonding *bond);
int bond_slb_opt_migrate_set(struct bonding *bond,
			     const struct bond_opt_value *newval);

#endif /* _BOND_SLB_COMPAT_H */
