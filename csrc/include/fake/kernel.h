/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel.h - everything kernel/futex.c gets from include/, in one place.
 *
 * Every <linux/...>, <asm/...> and "locking/..." header that futex.c of
 * 3.12-4.7 includes is a one-line file that includes this one, so that a
 * get_futex_key() taken from a kernel tree compiles with its #include lines.
 */
#ifndef _FAKE_KERNEL_H
#define _FAKE_KERNEL_H

#include "dup.h"
#include "custom.h"
#include "stubs.h"

#endif /* _FAKE_KERNEL_H */
