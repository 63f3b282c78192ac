/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/fault-inject.h>: see fake/kernel.h */
#include "../fake/kernel.h"
