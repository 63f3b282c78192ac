// SPDX-License-Identifier: GPL-2.0
/* defect-lock-imbalance - test-only: v4.7 that returns with the page locked (lock-imbalance). */
#define DEFECT_LOCK_IMBALANCE
#include "template.h"
