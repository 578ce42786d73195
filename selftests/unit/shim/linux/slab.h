/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace: the parser allocates nothing; bond_slb_compat.h includes this. */
#ifndef _SLB_SHIM_SLAB_H
#define _SLB_SHIM_SLAB_H
#endif
