/* SPDX-License-Identifier: GPL-2.0 */
/* "rtmutex_common.h" as kernel/futex.c of 3.12 includes it: see fake/kernel.h */
#include "fake/kernel.h"
