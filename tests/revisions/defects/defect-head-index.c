// SPDX-License-Identifier: GPL-2.0
/* defect-head-index - test-only: v4.7 that keys hugetlbfs sub-pages on their head (v4.6) (key-collision). */
#define DEFECT_HEAD_INDEX
#include "template.h"
