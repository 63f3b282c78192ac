// SPDX-License-Identifier: GPL-2.0
/* defect-warn - test-only: v4.7 that warns on every shared futex (warn). */
#define DEFECT_WARN
#include "template.h"
