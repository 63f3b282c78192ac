// SPDX-License-Identifier: GPL-2.0
/* defect-wrong-pgoff - test-only: v4.7 that keys file pages one index too far (wrong-key). */
#define DEFECT_WRONG_PGOFF
#include "template.h"
