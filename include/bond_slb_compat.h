/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What differs between the kernels balance-slb builds against out of tree
 * (Debian's 6.1, 6.12 and 7.x).  Only this file knows; the upstream series
 * needs none of it.
 */
#ifndef _BOND_SLB_COMPAT_H
#define _BOND_SLB_COMPAT_H

#include <linux/kernel.h>
/* mac_pton() left <linux/kernel.h> for <linux/hex.h> in 7.x */
#if __has_include(<linux/hex.h>)
#include <linux/hex.h>
#endif

#endif /* _BOND_SLB_COMPAT_H */
