// SPDX-License-Identifier: GPL-2.0
/* broken - a test-only user revision that does not compile. */
#include <linux/futex.h>

static int
get_futex_key(u32 __user *uaddr, int fshared, union futex_key *key, int rw)
{
	return undeclared_helper(uaddr);
}
