// SPDX-License-Identifier: GPL-2.0
/* defect-extra-read - test-only: v4.7 that reads the mapping twice (C only: its port does not) (lockstep-divergence). */
#define DEFECT_EXTRA_READ
#include "template.h"
