// SPDX-License-Identifier: GPL-2.0
/* defect-spurious-efault - test-only: v4.7 that fails every file-backed futex (spurious-error). */
#define DEFECT_SPURIOUS_EFAULT
#include "template.h"
