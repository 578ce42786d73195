/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace: mac_pton() is in the <linux/kernel.h> shim. */
#ifndef _SLB_SHIM_HEX_H
#define _SLB_SHIM_HEX_H
#include <linux/kernel.h>
#endif
