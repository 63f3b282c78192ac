// SPDX-License-Identifier: GPL-2.0
/* defect-no-ro-check - test-only: v4.7 that keys read-only anonymous pages (missing-error). */
#define DEFECT_NO_RO_CHECK
#include "template.h"
