/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for <linux/math64.h>: the kernel's 64-bit divisions,
 * which a 32-bit kernel cannot do with '/'.  With SLB_SHIM_DIV_EXTERN they
 * are only declared, so that an object built with -m32 shows whether any
 * '/' of 64-bit values is left (it would need libgcc's __udivdi3, which
 * the kernel does not have).
 */
#ifndef _SLB_SHIM_MATH64_H
#define _SLB_SHIM_MATH64_H
#include <linux/types.h>

#ifdef SLB_SHIM_DIV_EXTERN
u64 div_u64(u64 dividend, u32 divisor);
u64 div64_u64(u64 dividend, u64 divisor);
#else
static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}
#endif
#endif
