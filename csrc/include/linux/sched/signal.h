/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/sched/signal.h>: see fake/kernel.h */
#include "../../fake/kernel.h"
