// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for slb_parse_migrate(): no crash or sanitizer report on
 * any input, and whatever it accepts is in range and parses back the same
 * when printed in canonical form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bond_slb_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[SLB_NAME_MAX + 1], name2[SLB_NAME_MAX + 1], buf[64];
	u8 mac[6], mac2[6];
	u16 vid, vid2;
	/* exactly size bytes on the heap: ASan sees any read past them */
	char *s = malloc(size ? size : 1);

	memcpy(s, data, size);
	if (slb_parse_migrate(s, size, mac, &vid, name) == 0) {
		size_t n = strlen(name);

		if (vid > SLB_VID_MAX || !n || n > SLB_NAME_MAX ||
		    strpbrk(name, " \t\n\r\v\f"))
			abort();
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x %u %s",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], vid, name);
		if (slb_parse_migrate(buf, strlen(buf), mac2, &vid2, name2) ||
		    memcmp(mac, mac2, 6) || vid != vid2 || strcmp(name, name2))
			abort();
	}
	free(s);
	return 0;
}
