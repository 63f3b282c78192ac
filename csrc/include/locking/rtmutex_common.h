/* SPDX-License-Identifier: GPL-2.0 */
/* "locking/rtmutex_common.h" as kernel/futex.c includes it: see fake/kernel.h */
#include "../fake/kernel.h"
