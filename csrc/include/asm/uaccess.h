/* SPDX-License-Identifier: GPL-2.0 */
/* <asm/uaccess.h>: see fake/kernel.h */
#include "../fake/kernel.h"
