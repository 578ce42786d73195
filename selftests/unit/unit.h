/* SPDX-License-Identifier: GPL-2.0-only */
/* Tiny test harness: KTAP-ish lines and a closing "N passed, N failed". */
#ifndef _SLB_UNIT_H
#define _SLB_UNIT_H
#include <stdio.h>

static int unit_passed, unit_failed, unit_case_failed;

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		unit_case_failed = 1;					\
	}								\
} while (0)

#define RUN(fn) do {							\
	unit_case_failed = 0;						\
	fn();								\
	printf("%sok %d %s\n", unit_case_failed ? "not " : "",		\
	       unit_passed + unit_failed + 1, #fn);			\
	if (unit_case_failed)						\
		unit_failed++;						\
	else								\
		unit_passed++;						\
} while (0)

static inline int unit_done(void)
{
	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
#endif
