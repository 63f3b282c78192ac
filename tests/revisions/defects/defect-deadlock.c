// SPDX-License-Identifier: GPL-2.0
/* defect-deadlock - test-only: v4.7 that takes the page lock twice (deadlock). */
#define DEFECT_DEADLOCK
#include "template.h"
