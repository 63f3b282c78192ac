/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/sched/wake_q.h>: see fake/kernel.h */
#include "../../fake/kernel.h"
