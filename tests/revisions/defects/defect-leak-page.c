// SPDX-License-Identifier: GPL-2.0
/* defect-leak-page - test-only: v4.7 that never drops the GUP reference on its way out (refcount-leak). */
#define DEFECT_LEAK_PAGE
#include "template.h"
