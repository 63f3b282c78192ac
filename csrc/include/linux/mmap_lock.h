/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/mmap_lock.h>: see fake/kernel.h */
#include "../fake/kernel.h"
