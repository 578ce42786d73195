/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What differs between the kernels balance-slb builds against out of tree
 * (Debian's 6.1, 6.12 and 7.x).  Only this file knows; the upstream series
 * needs none of it.
 */
#ifndef _BOND_SLB_COMPAT_H
#define _BOND_SLB_COMPAT_H

#include <linux/kernel.h>
/* mac_pton() moved from <linux/kernel.h> to <linux/hex.h> after 6.12;
 * Kbuild defines this where the header exists
 */
#ifdef BOND_SLB_HAVE_HEX_H
#include <linux/hex.h>
#endif

#include <linux/slab.h>
/* the typed allocators came in 7.x; checkpatch there asks for them */
#ifndef kvzalloc_obj
#define kvzalloc_obj(P, GFP) kvzalloc(sizeof(P), GFP)
#endif

#endif /* _BOND_SLB_COMPAT_H */
