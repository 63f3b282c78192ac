// SPDX-License-Identifier: GPL-2.0
/* defect-rcu-imbalance - test-only: v4.7 that returns inside its RCU read section (rcu-imbalance). */
#define DEFECT_RCU_IMBALANCE
#include "template.h"
