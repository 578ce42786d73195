/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace stand-in for the kernel types the pure SLB code uses. */
#ifndef _SLB_SHIM_TYPES_H
#define _SLB_SHIM_TYPES_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
#endif
