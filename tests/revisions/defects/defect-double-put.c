// SPDX-License-Identifier: GPL-2.0
/* defect-double-put - test-only: v4.7 that drops the GUP reference twice (refcount-underflow). */
#define DEFECT_DOUBLE_PUT
#include "template.h"
