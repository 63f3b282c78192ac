/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/futex.h>: see fake/kernel.h */
#include "../fake/kernel.h"
