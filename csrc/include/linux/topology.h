/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/topology.h>: see fake/kernel.h */
#include "../fake/kernel.h"
