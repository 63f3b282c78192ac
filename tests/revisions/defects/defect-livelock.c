// SPDX-License-Identifier: GPL-2.0
/* defect-livelock - test-only: v4.7 that retries every file-backed futex forever (livelock). */
#define DEFECT_LIVELOCK
#include "template.h"
