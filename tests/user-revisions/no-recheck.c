// SPDX-License-Identifier: GPL-2.0
/*
 * no-recheck - a test-only user revision: v4.7 without the re-check of
 * page->mapping inside the RCU read section.  It stands for a patch a
 * kernel developer would bring with FUTEX_DIFF_REVISIONS; the tests build
 * it that way and check it is listed and runs.
 */
#define DEFECT_NO_RECHECK
#include "../revisions/defects/template.h"
