/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/mempolicy.h>: see fake/kernel.h */
#include "../fake/kernel.h"
