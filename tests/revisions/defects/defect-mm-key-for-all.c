// SPDX-License-Identifier: GPL-2.0
/* defect-mm-key-for-all - test-only: v4.7 that keys every page on the mm, shmem too (key-mismatch). */
#define DEFECT_MM_KEY_FOR_ALL
#include "template.h"
