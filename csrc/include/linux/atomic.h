/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/atomic.h>: see fake/kernel.h */
#include "../fake/kernel.h"
