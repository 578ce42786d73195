/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-in for the one <linux/kernel.h> helper the parser uses:
 * mac_pton(), with the kernel's contract (17 characters "xx:xx:...:xx",
 * hex digits either case; false and mac untouched otherwise).
 */
#ifndef _SLB_SHIM_KERNEL_H
#define _SLB_SHIM_KERNEL_H
#include <ctype.h>
#include <string.h>
#include <linux/types.h>

static inline int slb_shim_hex(char c)
{
	return isdigit((unsigned char)c) ? c - '0' :
		tolower((unsigned char)c) - 'a' + 10;
}

static inline bool mac_pton(const char *s, u8 *mac)
{
	u8 out[6];
	int i;

	if (strnlen(s, 17) < 17)
		return false;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[3 * i]) ||
		    !isxdigit((unsigned char)s[3 * i + 1]) ||
		    (i < 5 && s[3 * i + 2] != ':'))
			return false;
		out[i] = slb_shim_hex(s[3 * i]) << 4 | slb_shim_hex(s[3 * i + 1]);
	}
	memcpy(mac, out, 6);
	return true;
}
#endif
