// SPDX-License-Identifier: GPL-2.0
/* defect-no-recheck - test-only: v4.7 that follows the mapping without re-checking it under RCU (use-after-free). */
#define DEFECT_NO_RECHECK
#include "template.h"
