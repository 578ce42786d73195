/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * balance-slb input parsing: no kernel dependencies, so the same source is
 * built into bonding.ko and fuzzed in userspace (selftests/unit).
 */
#ifndef _BOND_SLB_PARSE_H
#define _BOND_SLB_PARSE_H

#include <linux/types.h>

#define SLB_NAME_MAX	15	/* interface name length, IFNAMSIZ - 1 */
#define SLB_VID_MAX	4094	/* 0 = untagged; 4095 is reserved */

/*
 * What slb_migrate takes: "<MAC> [<vid>] <slave>", tokens separated by
 * blanks, blanks and a newline around them allowed, at most len bytes read
 * (a NUL ends the input early).  The MAC is six hex pairs joined by ':',
 * the VLAN ID decimal without sign, 0..SLB_VID_MAX, the slave name 1 to
 * SLB_NAME_MAX bytes.  Returns 0 and fills mac, vid (0 when not given) and
 * name (NUL-terminated, SLB_NAME_MAX + 1 bytes); anything else returns -1
 * and leaves them undefined.
 */
int slb_parse_migrate(const char *s, size_t len, u8 *mac, u16 *vid,
		      char *name);

#endif /* _BOND_SLB_PARSE_H */
