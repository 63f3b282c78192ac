/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/sched/mm.h>: see fake/kernel.h */
#include "../../fake/kernel.h"
