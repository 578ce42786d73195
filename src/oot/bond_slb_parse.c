// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb input parsing, shared by bonding.ko and the userspace fuzzer:
 * written without sscanf, whose kernel and libc versions differ.
 */
#include <linux/kernel.h>
/* mac_pton() moved from <linux/kernel.h> to <linux/hex.h> after 6.12 */
#ifdef BOND_SLB_HAVE_HEX_H
#include <linux/hex.h>
#endif

#include "bond_slb_parse.h"

static bool slb_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

/* mac_pton() reads exactly 17 characters: the token must be that long. */
static bool slb_parse_mac(const char *t, size_t n, u8 *mac)
{
	return n == 17 && mac_pton(t, mac);
}

static bool slb_parse_vid(const char *t, size_t n, u16 *vid)
{
	unsigned int v = 0;
	size_t i;

	if (!n || n > 4)
		return false;
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return false;
		v = v * 10 + (t[i] - '0');
	}
	if (v > SLB_VID_MAX)
		return false;
	*vid = v;
	return true;
}

int slb_parse_migrate(const char *s, size_t len, u8 *mac, u16 *vid,
		      char *name)
{
	const char *tok[4];
	size_t tlen[4], i = 0, end = 0;
	int n = 0;

	while (end < len && s[end])
		end++;
	while (i < end) {
		if (slb_blank(s[i])) {
			i++;
			continue;
		}
		if (n == 4)
			return -1;
		tok[n] = s + i;
		while (i < end && !slb_blank(s[i]))
			i++;
		tlen[n] = s + i - tok[n];
		n++;
	}
	if (n < 2 || n > 3 || !slb_parse_mac(tok[0], tlen[0], mac))
		return -1;
	*vid = 0;
	if (n == 3 && !slb_parse_vid(tok[1], tlen[1], vid))
		return -1;
	if (tlen[n - 1] > SLB_NAME_MAX)
		return -1;
	for (i = 0; i < tlen[n - 1]; i++)
		name[i] = tok[n - 1][i];
	name[i] = '\0';
	return 0;
}
